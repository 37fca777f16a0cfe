"use client";

import { ConfirmButton } from "@/app/_components/confirm-dialog";
import { Cell } from "@/app/_components/table";
import { Time } from "@/app/_components/time";

interface TokenUse {
  lastUsedAt: Date | null;
  lastUsedIp: string | null;
  expiresAt: Date | null;
  expired: boolean;
}

/** A token's "Last used" and "Expires" cells, the same for workspace and platform tokens. */
export function TokenUseCells({ token }: { token: TokenUse }) {
  return (
    <>
      <Cell>
        <Time value={token.lastUsedAt} fallback="Never" />
        {token.lastUsedIp && <p className="font-mono text-xs text-slate-500">from {token.lastUsedIp}</p>}
      </Cell>
      <Cell className={token.expired ? "font-medium text-red-700" : undefined}>
        {token.expired ? "Expired " : null}
        <Time value={token.expiresAt} fallback="Never" />
      </Cell>
    </>
  );
}

/** The row's last cell: revoking asks first, since whatever uses the token stops at once. */
export function RevokeTokenCell({
  title,
  name,
  onRevoke,
}: {
  title: string;
  name: string;
  onRevoke: () => Promise<unknown>;
}) {
  return (
    <Cell className="text-right">
      <ConfirmButton
        variant="ghost"
        size="sm"
        title={title}
        description="Anything using it stops working at once. This cannot be undone."
        confirmLabel="Revoke token"
        pendingLabel="Revoking…"
        onConfirm={onRevoke}
      >
        Revoke<span className="sr-only"> token {name}</span>
      </ConfirmButton>
    </Cell>
  );
}
