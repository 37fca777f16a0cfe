"use client";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { Alert } from "@/app/_components/alert";
import { CopyField } from "@/app/_components/copy-field";
import { EmptyState } from "@/app/_components/empty-state";
import { GrantForm } from "@/app/_components/grant-form";
import { LoadMore } from "@/app/_components/load-more";
import { Loaded } from "@/app/_components/loaded";
import { PageHeader, Section } from "@/app/_components/page-header";
import { RoleBadge } from "@/app/_components/role-badge";
import { RequirePermission, useWorkspace } from "@/app/_components/shell";
import { Cell, Rows, Table } from "@/app/_components/table";
import { RevokeTokenCell, TokenUseCells } from "@/app/_components/token-cells";
import { FormSelect } from "@/app/_components/zod-form";
import { usePages } from "@/app/_lib/pages";
import { useTRPC } from "@/app/_lib/trpc";

export default function TokensPage() {
  return (
    <>
      <PageHeader
        title="API tokens"
        description="Tokens let scripts and CI call the REST API as this workspace, with the role you give them."
      />
      <RequirePermission permission="tokens:manage">
        <Tokens />
      </RequirePermission>
    </>
  );
}

function Tokens() {
  const { slug, role } = useWorkspace();
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const refresh = () => queryClient.invalidateQueries({ queryKey: trpc.tokens.list.queryKey() });
  const tokens = usePages((cursor) => trpc.tokens.list.queryOptions({ workspace: slug, cursor }));
  const create = useMutation(trpc.tokens.create.mutationOptions({ onSuccess: refresh }));
  const revoke = useMutation(trpc.tokens.revoke.mutationOptions({ onSuccess: refresh }));

  return (
    <>
      <Section title="Create a token" description="A token can have at most your own role.">
        <GrantForm
          label="Name"
          name="name"
          maxRole={role}
          submitLabel="Create token"
          pendingLabel="Creating…"
          extraDefaults={{ expiresInDays: "90" }}
          extra={
            <FormSelect label="Expires" name="expiresInDays">
              <option value="30">in 30 days</option>
              <option value="90">in 90 days</option>
              <option value="365">in a year</option>
              <option value="never">never</option>
            </FormSelect>
          }
          onGrant={(name, role, values) =>
            create.mutateAsync({
              workspace: slug,
              name,
              role,
              expiresInDays: values.expiresInDays === "never" ? null : Number(values.expiresInDays),
            })
          }
        />
        {create.data && (
          <div className="mt-5 space-y-3 border-t border-slate-100 pt-5">
            <Alert tone="warning" title="Copy this token now">
              It will not be shown again. Store it somewhere safe, such as your CI’s secret store.
            </Alert>
            <CopyField label="New token" value={create.data.token} />
          </div>
        )}
      </Section>

      <section aria-labelledby="tokens-heading">
        <h2 id="tokens-heading" className="mb-3 text-base font-semibold text-slate-900">
          Active tokens
        </h2>
        <Loaded query={tokens} label="tokens">
          {(list) =>
            list.length === 0 ? (
              <EmptyState title="No API tokens yet">
                Create one above to call the API from scripts or CI.
              </EmptyState>
            ) : (
              <Table
                caption="API tokens"
                columns={["Name", "Role", "Token", "Acts for", "Last used", "Expires", "Actions"]}
              >
                <Rows>
                  {list.map((token) => (
                    <tr key={token.id}>
                      <Cell className="font-medium text-slate-900">{token.name}</Cell>
                      <Cell>
                        <RoleBadge role={token.role} />
                        {token.effectiveRole !== token.role && (
                          <p className="mt-1 text-xs text-slate-500">
                            acts as {token.effectiveRole.toLowerCase()} (its creator’s role now)
                          </p>
                        )}
                      </Cell>
                      <Cell>
                        <code className="font-mono text-xs">{token.prefix}…</code>
                      </Cell>
                      <Cell className="text-slate-700">{token.createdBy?.email ?? "the operator (CLI)"}</Cell>
                      <TokenUseCells token={token} />
                      <RevokeTokenCell
                        title={`Revoke the token “${token.name}”?`}
                        name={token.name}
                        onRevoke={() => revoke.mutateAsync({ workspace: slug, tokenId: token.id })}
                      />
                    </tr>
                  ))}
                </Rows>
              </Table>
            )
          }
        </Loaded>
        <LoadMore pages={tokens} noun="tokens" />
      </section>
    </>
  );
}
