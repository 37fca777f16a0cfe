// What forbidden() (next/navigation) renders, answered with HTTP 403: a signed-in person asked for
// a page their account may not see (today: the platform console, for non-administrators).
import type { Metadata } from "next";
import { HomeLink, StandalonePage, StatusMessage } from "./_components/status-page";

export const metadata: Metadata = { title: "Not authorised" };

export default function Forbidden() {
  return (
    <StandalonePage>
      <StatusMessage code="403" title="Not authorised" actions={<HomeLink />}>
        <p>
          This page is for the administrators of this Baton installation, and your account is not one of them.
          An operator grants the role on the server with{" "}
          <code className="font-mono text-xs">baton admin grant &lt;email&gt;</code>.
        </p>
      </StatusMessage>
    </StandalonePage>
  );
}
