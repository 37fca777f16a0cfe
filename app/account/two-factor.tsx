"use client";
// The account page's second factors: an authenticator app (QR code, then a code to confirm it),
// recovery codes (shown once), and passkeys.
import { startRegistration } from "@simplewebauthn/browser";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Alert } from "@/app/_components/alert";
import { Button } from "@/app/_components/button";
import { errorMessage, formErrors } from "@/app/_components/errors";
import { Field } from "@/app/_components/field";
import { Form } from "@/app/_components/form";
import { Loaded } from "@/app/_components/loaded";
import { Section } from "@/app/_components/page-header";
import { Cell, Rows, Table } from "@/app/_components/table";
import { Time } from "@/app/_components/time";
import { useTRPC, useTRPCClient } from "@/app/_lib/trpc";

function RecoveryCodes({ codes }: { codes: string[] }) {
  return (
    <Alert tone="warning" title="Your recovery codes (shown only now)">
      <p>Each signs you in once if your app or passkey is out of reach. Keep them somewhere safe.</p>
      <ul aria-label="Recovery codes" className="mt-2 grid grid-cols-2 gap-1 font-mono text-sm">
        {codes.map((code) => (
          <li key={code}>{code}</li>
        ))}
      </ul>
    </Alert>
  );
}

export function TwoFactor() {
  const trpc = useTRPC();
  const client = useTRPCClient();
  const queryClient = useQueryClient();
  const status = useQuery(trpc.twoFactor.status.queryOptions());
  const refresh = () => queryClient.invalidateQueries({ queryKey: trpc.twoFactor.status.queryKey() });
  const begin = useMutation(trpc.twoFactor.beginTotp.mutationOptions());
  const confirm = useMutation(trpc.twoFactor.confirmTotp.mutationOptions({ onSuccess: refresh }));
  const disable = useMutation(trpc.twoFactor.disableTotp.mutationOptions({ onSuccess: refresh }));
  const renew = useMutation(trpc.twoFactor.renewRecoveryCodes.mutationOptions({ onSuccess: refresh }));
  const remove = useMutation(trpc.twoFactor.removePasskey.mutationOptions({ onSuccess: refresh }));
  const addPasskey = useMutation({
    mutationFn: async (name: string) => {
      const { challengeId, options } = await client.twoFactor.passkeyRegistrationOptions.mutate();
      const response = await startRegistration({ optionsJSON: options });
      return client.twoFactor.registerPasskey.mutate({ challengeId, response, name });
    },
    onSuccess: refresh,
  });
  const codes = confirm.data?.recoveryCodes ?? renew.data?.recoveryCodes;
  return (
    <Section
      title="Two-factor sign-in"
      description="After your password, a code from an authenticator app or a passkey. A passkey also signs you in on its own."
    >
      <div id="two-factor" className="space-y-6">
        <Loaded query={status} label="your second factors">
          {(factors) => (
            <>
              {codes && <RecoveryCodes codes={codes} />}
              <div className="space-y-3">
                <h3 className="text-sm font-semibold text-slate-900">Authenticator app</h3>
                {factors.totp ? (
                  <Form onValues={({ code = "" }) => disable.mutate({ code })} className="max-w-sm space-y-3">
                    <p className="text-sm text-emerald-700">
                      Set up. {factors.recoveryCodesLeft} recovery codes left.
                    </p>
                    {disable.error && <Alert tone="error">{errorMessage(disable.error)}</Alert>}
                    <Field
                      label="A current code, to remove it"
                      name="code"
                      autoComplete="one-time-code"
                      required
                    />
                    <Button type="submit" variant="secondary" pending={disable.isPending}>
                      Remove the authenticator app
                    </Button>
                  </Form>
                ) : begin.data ? (
                  <Form onValues={({ code = "" }) => confirm.mutate({ code })} className="max-w-sm space-y-3">
                    <p className="text-sm text-slate-700">
                      Scan this with your authenticator app, or type the key in, then enter the code it shows.
                    </p>
                    <div
                      role="img"
                      aria-label="QR code for your authenticator app"
                      className="size-48 rounded border border-slate-200 bg-white p-2"
                      // Our own SVG, drawn by uqr from the otpauth:// URI.
                      // biome-ignore lint/security/noDangerouslySetInnerHtml: generated on the server from our data
                      dangerouslySetInnerHTML={{ __html: begin.data.qrSvg }}
                    />
                    <p className="text-xs text-slate-600">
                      Key:{" "}
                      <code className="font-mono" data-testid="totp-key">
                        {begin.data.secret}
                      </code>
                    </p>
                    {formErrors(confirm.error, ["code"]).message && (
                      <Alert tone="error">{formErrors(confirm.error, ["code"]).message}</Alert>
                    )}
                    <Field label="Code from the app" name="code" autoComplete="one-time-code" required />
                    <Button type="submit" pending={confirm.isPending}>
                      Turn on
                    </Button>
                  </Form>
                ) : (
                  <Button variant="secondary" pending={begin.isPending} onClick={() => begin.mutate()}>
                    Set up an authenticator app
                  </Button>
                )}
                {begin.error && <Alert tone="error">{errorMessage(begin.error)}</Alert>}
              </div>

              <div className="space-y-3">
                <h3 className="text-sm font-semibold text-slate-900">Passkeys</h3>
                {factors.passkeyList.length > 0 && (
                  <Table caption="Your passkeys" columns={["Name", "Added", "Last used", "Actions"]}>
                    <Rows>
                      {factors.passkeyList.map((passkey) => (
                        <tr key={passkey.id}>
                          <Cell className="font-medium text-slate-900">{passkey.name}</Cell>
                          <Cell>
                            <Time value={passkey.createdAt} />
                          </Cell>
                          <Cell>
                            <Time value={passkey.lastUsedAt} fallback="Never" />
                          </Cell>
                          <Cell className="text-right">
                            <Button
                              variant="ghost"
                              size="sm"
                              pending={remove.isPending && remove.variables.passkeyId === passkey.id}
                              onClick={() => remove.mutate({ passkeyId: passkey.id })}
                            >
                              Remove<span className="sr-only"> passkey {passkey.name}</span>
                            </Button>
                          </Cell>
                        </tr>
                      ))}
                    </Rows>
                  </Table>
                )}
                {(addPasskey.error ?? remove.error) && (
                  <Alert tone="error">{errorMessage(addPasskey.error ?? remove.error)}</Alert>
                )}
                <Form
                  onValues={({ passkeyName = "" }, form) =>
                    addPasskey.mutate(passkeyName, { onSuccess: () => form.reset() })
                  }
                  className="flex max-w-md items-end gap-3"
                >
                  <Field
                    label="Passkey name"
                    name="passkeyName"
                    defaultValue="My passkey"
                    required
                    className="flex-1"
                  />
                  <Button
                    type="submit"
                    variant="secondary"
                    pending={addPasskey.isPending}
                    pendingLabel="Waiting…"
                  >
                    Add a passkey
                  </Button>
                </Form>
              </div>

              {(factors.totp || factors.passkeys > 0) && (
                <div>
                  {renew.error && <Alert tone="error">{errorMessage(renew.error)}</Alert>}
                  <Button variant="ghost" pending={renew.isPending} onClick={() => renew.mutate()}>
                    Make new recovery codes
                  </Button>
                </div>
              )}
            </>
          )}
        </Loaded>
      </div>
    </Section>
  );
}
