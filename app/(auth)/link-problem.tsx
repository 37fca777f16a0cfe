import Link from "next/link";
import { Alert } from "@/app/_components/alert";
import { CenteredPage } from "@/app/_components/centered-page";
import { link } from "@/app/_components/styles";

/** The page an expired or used link leads to, with the way to get a new one. */
export function LinkProblem({ problem, retry }: { problem: string; retry: { href: string; label: string } }) {
  return (
    <CenteredPage title="This link does not work">
      <Alert tone="error">{problem}</Alert>
      <p className="mt-4 text-sm">
        <Link href={retry.href} className={link}>
          {retry.label}
        </Link>
      </p>
    </CenteredPage>
  );
}
