// elkjs in a Web Worker: a layered layout of a 500-task DAG takes elk hundreds of milliseconds to
// seconds, which must not block the page. Receives { id, graph }, answers { id, positions } with
// each node's top-left corner, or { id, error }.
import ELK, { type ElkNode } from "elkjs/lib/elk.bundled.js";

const elk = new ELK();

self.onmessage = async (event: MessageEvent<{ id: number; graph: ElkNode }>) => {
  const { id, graph } = event.data;
  try {
    const result = await elk.layout(graph);
    const positions = (result.children ?? []).map((node) => [node.id, node.x ?? 0, node.y ?? 0]);
    self.postMessage({ id, positions });
  } catch (error) {
    self.postMessage({ id, error: String(error) });
  }
};
