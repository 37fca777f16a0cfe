// The operator palette: every operator with its config JSON Schema and editor metadata.
import { listOperators } from "@/server/operators/catalog";
import { router, workspaceProcedure } from "../trpc";

export const operatorsRouter = router({
  list: workspaceProcedure("workspace:read").query(() => listOperators()),
});
