// Reading tRPC errors: the code, a message for people, and the field problems the server sends in
// `error.data.problems` (from zod input checks or domain errors) for inline form errors.
export interface Problem {
  path: string;
  message: string;
}

interface ErrorShape {
  message?: string;
  data?: { code?: string; problems?: Problem[] } | null;
}

export function errorCode(error: unknown): string | undefined {
  return (error as ErrorShape | null)?.data?.code ?? undefined;
}

/** One sentence for an alert: the problems if there are any (zod's own message is JSON), else the message. */
export function errorMessage(error: unknown): string | undefined {
  return formErrors(error, []).message;
}

/**
 * Splits an error over a form: problems on `fields` go inline, the rest (or the plain message)
 * becomes `message` for the form's alert.
 */
export function formErrors<F extends string>(error: unknown, fields: readonly F[]) {
  const inline: Partial<Record<F, string>> = {};
  if (!error) return { fields: inline, message: undefined };
  const { message, data } = error as ErrorShape;
  const problems = data?.problems ?? [];
  const rest: string[] = [];
  for (const problem of problems) {
    if ((fields as readonly string[]).includes(problem.path)) inline[problem.path as F] ??= problem.message;
    else rest.push(problem.message);
  }
  if (problems.length === 0) rest.push(message || "Something went wrong. Try again.");
  return { fields: inline, message: rest.length > 0 ? rest.join(". ") : undefined };
}
