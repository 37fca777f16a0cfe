import { fetchRequestHandler } from "@trpc/server/adapters/fetch";
import { contextFromRequest } from "@/server/api/context";
import { appRouter } from "@/server/api/root";

const handler = (request: Request) =>
  fetchRequestHandler({
    endpoint: "/api/trpc",
    req: request,
    router: appRouter,
    createContext: () => contextFromRequest(request, { allowSession: true }),
    onError: ({ error, path }) => {
      if (error.code === "INTERNAL_SERVER_ERROR") console.error(`tRPC ${path}:`, error.cause ?? error);
    },
  });

export { handler as GET, handler as POST };
