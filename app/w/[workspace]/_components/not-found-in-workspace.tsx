"use client";
import Link from "next/link";
import { useWorkspace } from "@/app/_components/shell";
import { StatusMessage } from "@/app/_components/status-page";
import { buttonClass } from "@/app/_components/styles";

const places = {
  page: {
    title: "Page not found",
    body: "There is nothing at this address in",
    back: "",
    backLabel: "Overview",
  },
  DAG: { title: "DAG not found", body: "There is no such DAG in", back: "/dags", backLabel: "All DAGs" },
  run: { title: "Run not found", body: "There is no such run in", back: "/runs", backLabel: "All runs" },
} as const;

export function NotFoundInWorkspace({ what }: { what: keyof typeof places }) {
  const { slug, name } = useWorkspace();
  const place = places[what];
  return (
    <StatusMessage
      code="404"
      title={place.title}
      actions={
        <Link href={`/w/${slug}${place.back}`} className={buttonClass("secondary")}>
          {place.backLabel}
        </Link>
      }
    >
      <p>
        {place.body} {name}. It may have been deleted, or the link is mistyped.
      </p>
    </StatusMessage>
  );
}
