// Any URL nothing answers, and anything a page says does not exist outside a workspace: a branded
// page answered with HTTP 404.
import type { Metadata } from "next";
import { HomeLink, StandalonePage, StatusMessage } from "./_components/status-page";

export const metadata: Metadata = { title: "Not found" };

export default function NotFound() {
  return (
    <StandalonePage>
      <StatusMessage code="404" title="Page not found" actions={<HomeLink />}>
        <p>There is nothing at this address, or it is in a workspace you are not a member of.</p>
      </StatusMessage>
    </StandalonePage>
  );
}
