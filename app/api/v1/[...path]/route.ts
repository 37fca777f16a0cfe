import { observed } from "@/server/observability/http";
import { handleRest } from "@/server/rest/handler";

type Params = { params: Promise<{ path: string[] }> };

const handler = observed("/api/v1/[...path]", async (request: Request, { params }: Params) => {
  const { path } = await params;
  return handleRest(request, `/${path.join("/")}`);
});

export { handler as DELETE, handler as GET, handler as PATCH, handler as POST, handler as PUT };
