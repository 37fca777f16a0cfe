// Signing in with e-mail and password from client components, with next-auth's answer turned
// into an Error people can read ("Wrong e-mail or password", "Too many failed sign-ins…").
import { signIn } from "next-auth/react";

export async function signInWithPassword(email: string, password: string) {
  const result = await signIn("credentials", { redirect: false, email, password });
  if (result?.ok && !result.error) return;
  const error = result?.error;
  if (!error) throw new Error("Signing in failed. Try again.");
  // next-auth's code when the e-mail or password field was left empty.
  if (error === "CredentialsSignin") throw new Error("Enter your e-mail and password.");
  throw new Error(error);
}

/** Messages for the `?error=` codes next-auth puts on the sign-in page (OAuth problems mostly). */
export function describeSignInError(code: string | undefined) {
  if (!code) return undefined;
  const messages: Record<string, string> = {
    SessionRequired: "Sign in to continue.",
    OAuthAccountNotLinked: "This e-mail is already linked to another sign-in method. Use that one.",
    AccessDenied: "Access was denied.",
    CredentialsSignin: "Wrong e-mail or password",
  };
  return messages[code] ?? "Signing in did not work. Try again.";
}
