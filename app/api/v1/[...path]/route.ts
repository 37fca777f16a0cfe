import { handleRest } from "@/server/rest/handler";

type Params = { params: Promise<{ path: string[] }> };

async function handler(request: Request, { params }: Params) {
  const { path } = await params;
  return handleRest(request, `/${path.join("/")}`);
}

export { handler as DELETE, handler as GET, handler as PATCH, handler as POST, handler as PUT };
