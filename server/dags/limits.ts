// The DAG document's size limit, in a module of its own: pages in the browser read it (the run page
// asks for every task), and definition.ts reaches the operators' server code.

/** The most tasks a DAG may have. */
export const maxTasks = 20_000;
