// Class lists shared by the building blocks, so controls look and focus the same everywhere.
export const focusRing =
  "focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-indigo-600";

/** Inputs and selects; callers add width and vertical padding. */
export const control =
  "rounded-md border-0 bg-white px-3 text-sm text-slate-900 shadow-xs ring-1 ring-inset ring-slate-300 placeholder:text-slate-400 focus:outline-2 focus:-outline-offset-2 focus:outline-indigo-600 disabled:cursor-not-allowed disabled:bg-slate-50 disabled:text-slate-500 read-only:bg-slate-50 aria-[invalid=true]:ring-red-500";

export const link = `rounded-sm font-medium text-indigo-700 underline-offset-2 hover:underline ${focusRing}`;
