// The public REST API: each route is an HTTP spelling of one tRPC procedure. Path parameters,
// the query string (GET/DELETE) or the JSON body (POST/PUT/PATCH) become the procedure's input,
// and the workspace is the one the API token belongs to.
export interface RestRoute {
  method: "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
  /** Under /api/v1, with {params}. */
  path: string;
  procedure: string;
  summary: string;
  /** Status of a successful answer (200 unless it creates something). */
  status?: number;
}

export const restRoutes: RestRoute[] = [
  { method: "GET", path: "/workspace", procedure: "workspace.get", summary: "The token's workspace and its permissions" },
  { method: "GET", path: "/members", procedure: "members.list", summary: "List members and their roles" },
  { method: "PATCH", path: "/members/{memberId}", procedure: "members.changeRole", summary: "Change a member's role" },
  { method: "DELETE", path: "/members/{memberId}", procedure: "members.remove", summary: "Remove a member" },
  { method: "GET", path: "/invitations", procedure: "members.invitations", summary: "List pending invitations" },
  { method: "POST", path: "/invitations", procedure: "members.invite", summary: "Invite someone by e-mail", status: 201 },
  { method: "DELETE", path: "/invitations/{invitationId}", procedure: "members.revokeInvitation", summary: "Revoke an invitation" },
  { method: "GET", path: "/tokens", procedure: "tokens.list", summary: "List API tokens" },
  { method: "POST", path: "/tokens", procedure: "tokens.create", summary: "Create an API token (shown once)", status: 201 },
  { method: "DELETE", path: "/tokens/{tokenId}", procedure: "tokens.revoke", summary: "Revoke an API token" },
  { method: "GET", path: "/audit", procedure: "audit.list", summary: "Read the audit log, newest first" },
];
