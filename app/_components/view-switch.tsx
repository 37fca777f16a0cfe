"use client";
// Two or more views of one thing (a list or a calendar of runs): buttons pressed one at a time.
export function ViewSwitch<V extends string>({
  value,
  options,
  onChange,
}: {
  value: V;
  options: readonly (readonly [V, string])[];
  onChange: (view: V) => void;
}) {
  return (
    <fieldset aria-label="View" className="inline-flex rounded-md ring-1 ring-slate-300">
      {options.map(([option, label]) => (
        <button
          key={option}
          type="button"
          aria-pressed={value === option}
          onClick={() => onChange(option)}
          className="px-3 py-1.5 text-sm font-medium text-slate-700 first:rounded-l-md last:rounded-r-md aria-pressed:bg-indigo-600 aria-pressed:text-white"
        >
          {label}
        </button>
      ))}
    </fieldset>
  );
}

export const runViews = [
  ["list", "List"],
  ["calendar", "Calendar"],
] as const;
