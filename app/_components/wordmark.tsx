import Link from "next/link";
import { focusRing } from "./styles";

/** The Baton wordmark, linking home. */
export function Wordmark() {
  return (
    <Link
      href="/"
      className={`inline-flex items-center gap-2 rounded-md text-lg font-bold tracking-tight ${focusRing}`}
    >
      <span
        aria-hidden="true"
        className="grid size-7 place-items-center rounded-md bg-indigo-600 text-sm text-white"
      >
        B
      </span>
      Baton
    </Link>
  );
}
