import { TRPCError } from "@trpc/server";
import { fetchRequestHandler } from "@trpc/server/adapters/fetch";
import { contextFromRequest } from "@/server/api/context";
import { appRouter } from "@/server/api/root";
import { isDatabaseUnavailable, RETRY_AFTER_SECONDS } from "@/server/db/availability";
import { AppError, RetryLater } from "@/server/errors";
import { observed } from "@/server/observability/http";
import { log } from "@/server/observability/logger";

const handler = observed("/api/trpc/[procedure]", (request: Request) =>
  fetchRequestHandler({
    endpoint: "/api/trpc",
    req: request,
    router: appRouter,
    // An invalid or revoked bearer token is the caller's 401, on every procedure (public ones too).
    createContext: () =>
      contextFromRequest(request, { allowSession: true }).catch((error: unknown) => {
        if (!(error instanceof AppError)) throw error;
        throw new TRPCError({ code: error.code, message: error.message, cause: error });
      }),
    // A refusal that says when to come back says it in Retry-After too.
    responseMeta: ({ errors }) => {
      // The database is away: 503, try again shortly (nothing was done).
      if (errors.some((e) => isDatabaseUnavailable(e.cause)))
        return { status: 503, headers: { "Retry-After": String(RETRY_AFTER_SECONDS) } };
      const wait = errors.map((e) => e.cause).find((cause) => cause instanceof RetryLater);
      return wait instanceof RetryLater ? { headers: { "Retry-After": String(wait.retryAfterSeconds) } } : {};
    },
    onError: ({ error, path }) => {
      if (error.code === "INTERNAL_SERVER_ERROR" && !isDatabaseUnavailable(error.cause))
        log.error({ err: error.cause ?? error, procedure: path }, "tRPC error");
    },
  }),
);

export { handler as GET, handler as POST };
