"use client";
// Platform tokens: bearer credentials for the console's operations on the REST API
// (/api/v1/platform/*), for billing exports, monitoring and operators' scripts. A token acts as
// the administrator who made it, while they still are one; it is shown once.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { z } from "zod";
import { Alert } from "@/app/_components/alert";
import { Button } from "@/app/_components/button";
import { CopyField } from "@/app/_components/copy-field";
import { EmptyState } from "@/app/_components/empty-state";
import { Loaded } from "@/app/_components/loaded";
import { PageHeader, Section } from "@/app/_components/page-header";
import { Cell, Rows, Table } from "@/app/_components/table";
import { RevokeTokenCell, TokenUseCells } from "@/app/_components/token-cells";
import { FormField, FormSelect, useZodForm, ZodForm } from "@/app/_components/zod-form";
import { useTRPC } from "@/app/_lib/trpc";

const createSchema = z.object({
  name: z.string().trim().min(1, "Enter a name"),
  expiresInDays: z.enum(["30", "90", "365", "never"]),
});

export default function PlatformTokensPage() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const refresh = () => queryClient.invalidateQueries({ queryKey: trpc.platform.tokens.queryKey() });
  const tokens = useQuery(trpc.platform.tokens.queryOptions());
  const create = useMutation(trpc.platform.createToken.mutationOptions({ onSuccess: refresh }));
  const revoke = useMutation(trpc.platform.revokeToken.mutationOptions({ onSuccess: refresh }));
  const form = useZodForm(createSchema, { name: "", expiresInDays: "90" });

  return (
    <>
      <PageHeader
        title="Platform tokens"
        description="Tokens for the console's operations on the REST API (/api/v1/platform/…): workspaces, plans, suspension, usage and audit exports, users, alerts. A token acts as you, while you are an administrator."
      />
      <Section
        title="Create a platform token"
        description="It reaches every workspace: keep it as safe as your password."
      >
        <ZodForm
          form={form}
          onSubmit={async (values) => {
            await create.mutateAsync({
              name: values.name,
              expiresInDays: values.expiresInDays === "never" ? null : Number(values.expiresInDays),
            });
            form.reset();
          }}
          className="grid gap-4 sm:grid-cols-[minmax(0,1fr)_10rem_auto] sm:items-start"
        >
          <FormField label="Name" name="name" autoComplete="off" spellCheck={false} />
          <FormSelect label="Expires" name="expiresInDays">
            <option value="30">in 30 days</option>
            <option value="90">in 90 days</option>
            <option value="365">in a year</option>
            <option value="never">never</option>
          </FormSelect>
          <Button
            type="submit"
            pending={form.formState.isSubmitting}
            pendingLabel="Creating…"
            className="sm:mt-6.5"
          >
            Create token
          </Button>
        </ZodForm>
        {create.data && (
          <div className="mt-5 space-y-3 border-t border-slate-100 pt-5">
            <Alert tone="warning" title="Copy this token now">
              It will not be shown again. Send it as <code>Authorization: Bearer …</code> to
              /api/v1/platform/….
            </Alert>
            <CopyField label="New platform token" value={create.data.token} />
          </div>
        )}
      </Section>
      <Loaded query={tokens} label="platform tokens">
        {(list) =>
          list.length === 0 ? (
            <EmptyState title="No platform tokens yet" />
          ) : (
            <Table
              caption="Platform tokens"
              columns={["Name", "Token", "Made by", "Last used", "Expires", "Actions"]}
            >
              <Rows>
                {list.map((token) => (
                  <tr key={token.id}>
                    <Cell className="font-medium text-slate-900">{token.name}</Cell>
                    <Cell>
                      <code className="font-mono text-xs">{token.prefix}…</code>
                    </Cell>
                    <Cell className="text-slate-700">
                      {token.createdBy}
                      {token.inactive && (
                        <p className="text-xs text-red-700">
                          no longer an administrator or disabled: refused
                        </p>
                      )}
                    </Cell>
                    <TokenUseCells token={token} />
                    <RevokeTokenCell
                      title={`Revoke the platform token “${token.name}”?`}
                      name={token.name}
                      onRevoke={() => revoke.mutateAsync({ tokenId: token.id })}
                    />
                  </tr>
                ))}
              </Rows>
            </Table>
          )
        }
      </Loaded>
    </>
  );
}
