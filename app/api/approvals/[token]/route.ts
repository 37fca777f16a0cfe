// Signed single-use approval links (server/approvals/links.ts), for approvers who may not have an
// account. GET only shows what the link would do, with a button: mail scanners and link previews
// fetch links, and must not decide anything. POST decides, once.
import { decideWithLink, describeLink } from "@/server/approvals/service";
import { AppError, httpStatus } from "@/server/errors";
import { observed } from "@/server/observability/http";
import { log } from "@/server/observability/logger";

type Params = { params: Promise<{ token: string }> };

const MAX_COMMENT = 2000;

function escapeHtml(text: string): string {
  return text.replace(
    /[&<>"']/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!,
  );
}

function page(status: number, title: string, body: string): Response {
  const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex"><title>${escapeHtml(title)} · Baton</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:36rem;margin:3rem auto;padding:0 1rem;color:#1f2937}
h1{font-size:1.4rem}blockquote{margin:1rem 0;padding:.75rem 1rem;background:#f3f4f6;border-radius:.5rem;white-space:pre-wrap}
textarea{width:100%;min-height:5rem;font:inherit}button{font:inherit;padding:.5rem 1.25rem;border:0;border-radius:.375rem;color:#fff;cursor:pointer}
.approve{background:#15803d}.reject{background:#b91c1c}dl{display:grid;grid-template-columns:auto 1fr;gap:.25rem 1rem;color:#4b5563}</style>
</head><body><h1>${escapeHtml(title)}</h1>${body}</body></html>`;
  return new Response(html, {
    status,
    headers: {
      "content-type": "text/html; charset=utf-8",
      "cache-control": "no-store",
      // The token is in the URL: it must not leak to other sites, be framed, or post elsewhere.
      "referrer-policy": "no-referrer",
      "content-security-policy":
        "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'",
      "x-content-type-options": "nosniff",
    },
  });
}

function errorPage(error: unknown): Response {
  if (error instanceof AppError)
    return page(httpStatus[error.code], "This link cannot be used", `<p>${escapeHtml(error.message)}.</p>`);
  log.error({ err: error }, "approval link error");
  return page(500, "Something went wrong", "<p>Something went wrong on our side; try again later.</p>");
}

export const GET = observed("/api/approvals/[token]", async (_request: Request, { params }: Params) => {
  const { token } = await params;
  try {
    const link = await describeLink(token);
    const verb = link.decision === "approve" ? "Approve" : "Reject";
    return page(
      200,
      `${verb} this step?`,
      `<blockquote>${escapeHtml(link.message)}</blockquote>
<dl><dt>DAG</dt><dd>${escapeHtml(link.dagId)}</dd><dt>Task</dt><dd>${escapeHtml(link.taskId)}</dd><dt>Run</dt><dd>${escapeHtml(link.runId)}</dd><dt>Link valid until</dt><dd>${escapeHtml(link.expiresAt)}</dd></dl>
<form method="post"><p><label>Comment (optional)<br><textarea name="comment" maxlength="${MAX_COMMENT}"></textarea></label></p>
<p><button type="submit" class="${link.decision}">${verb}</button></p><p>This link works once.</p></form>`,
    );
  } catch (error) {
    return errorPage(error);
  }
});

export const POST = observed("/api/approvals/[token]", async (request: Request, { params }: Params) => {
  const { token } = await params;
  let comment = "";
  try {
    const form = await request.formData();
    comment = String(form.get("comment") ?? "").slice(0, MAX_COMMENT);
  } catch {
    // No form body: decide without a comment.
  }
  try {
    const result = await decideWithLink(token, comment);
    const done = result.decision === "approve" ? "Approved" : "Rejected";
    return page(200, done, `<p>Your answer was recorded: ${escapeHtml(result.outcome)}.</p>`);
  } catch (error) {
    return errorPage(error);
  }
});
