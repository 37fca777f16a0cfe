"use client";
// Undo and redo as a history of whole documents (they share everything that did not change, so
// each step costs little). Edits with the same `coalesce` key in quick succession (typing in one
// field) make one step, not one per keystroke.
import { useCallback, useMemo, useReducer } from "react";

const LIMIT = 200;
const COALESCE_MS = 1000;

interface History<T> {
  past: T[];
  present: T;
  future: T[];
  /** The key and time of the last edit, for coalescing. */
  last: { key: string; at: number } | null;
}

type Action<T> =
  | { type: "edit"; value: T; coalesce?: string | undefined; at: number }
  | { type: "undo" }
  | { type: "redo" }
  | { type: "reset"; value: T };

function reducer<T>(state: History<T>, action: Action<T>): History<T> {
  switch (action.type) {
    case "edit": {
      if (action.value === state.present) return state;
      const merge =
        action.coalesce !== undefined &&
        state.last?.key === action.coalesce &&
        action.at - state.last.at < COALESCE_MS &&
        state.past.length > 0;
      const last = action.coalesce === undefined ? null : { key: action.coalesce, at: action.at };
      return {
        past: merge ? state.past : [...state.past, state.present].slice(-LIMIT),
        present: action.value,
        future: [],
        last,
      };
    }
    case "undo": {
      const previous = state.past.at(-1);
      if (previous === undefined) return state;
      return {
        past: state.past.slice(0, -1),
        present: previous,
        future: [state.present, ...state.future],
        last: null,
      };
    }
    case "redo": {
      const [next, ...future] = state.future;
      if (next === undefined) return state;
      return { past: [...state.past, state.present], present: next, future, last: null };
    }
    case "reset":
      return { past: [], present: action.value, future: [], last: null };
  }
}

export function useHistory<T>(initial: T) {
  const [state, dispatch] = useReducer(reducer<T>, undefined, () => ({
    past: [],
    present: initial,
    future: [],
    last: null,
  }));
  const edit = useCallback(
    (value: T, coalesce?: string) => dispatch({ type: "edit", value, coalesce, at: Date.now() }),
    [],
  );
  const actions = useMemo(
    () => ({
      undo: () => dispatch({ type: "undo" }),
      redo: () => dispatch({ type: "redo" }),
      reset: (value: T) => dispatch({ type: "reset", value }),
    }),
    [],
  );
  return {
    present: state.present,
    edit,
    ...actions,
    canUndo: state.past.length > 0,
    canRedo: state.future.length > 0,
  };
}
