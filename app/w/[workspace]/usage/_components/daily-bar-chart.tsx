// A small bar chart of one number per day, drawn as SVG. The chart is an image with a summary
// for screen readers, each bar has a tooltip, and the page offers the same numbers as a table.

export interface DailyValue {
  /** YYYY-MM-DD */
  day: string;
  value: number;
}

const WIDTH = 600;
const HEIGHT = 140;
const GAP = 2;

const shortDate = new Intl.DateTimeFormat("en", { month: "short", day: "numeric", timeZone: "UTC" });
export const formatDay = (day: string) => shortDate.format(new Date(`${day}T00:00:00Z`));

export function DailyBarChart({
  title,
  values,
  format,
  level = false,
}: {
  title: string;
  values: DailyValue[];
  /** The value for people, in the chart's unit. */
  format: (value: number) => string;
  /** Each day's value is a level (storage kept), not an amount: summed, it means nothing. */
  level?: boolean;
}) {
  const max = Math.max(0, ...values.map((v) => v.value));
  const total = values.reduce((sum, v) => sum + v.value, 0);
  const latest = values.at(-1)?.value ?? 0;
  const busiest = values.find((v) => v.value === max);
  const slot = WIDTH / Math.max(1, values.length);
  const summary =
    max === 0
      ? `${title}: nothing in the last ${values.length} days`
      : level
        ? `${title}: ${format(latest)} now; the highest in the last ${values.length} days was ${format(max)} on ${formatDay(busiest!.day)}`
        : `${title}: ${format(total)} over the last ${values.length} days; the busiest day was ${formatDay(busiest!.day)} with ${format(max)}`;

  return (
    <figure className="min-w-0">
      <figcaption className="mb-2 flex items-baseline justify-between gap-4 text-sm">
        <span className="font-medium text-slate-900">{title}</span>
        <span className="text-xs text-slate-500">
          {max === 0
            ? "Nothing yet"
            : level
              ? `Now ${format(latest)} · highest ${format(max)}`
              : `Highest ${format(max)} · total ${format(total)}`}
        </span>
      </figcaption>
      <svg
        viewBox={`0 0 ${WIDTH} ${HEIGHT}`}
        preserveAspectRatio="none"
        role="img"
        aria-label={summary}
        className="h-36 w-full rounded-md bg-slate-50 ring-1 ring-inset ring-slate-200"
      >
        {values.map((v, i) => {
          const height = max > 0 ? (v.value / max) * (HEIGHT - 8) : 0;
          return (
            <rect
              key={v.day}
              data-day={v.day}
              x={i * slot + GAP / 2}
              y={HEIGHT - height}
              width={Math.max(1, slot - GAP)}
              height={height}
              className="fill-indigo-500"
            >
              <title>{`${formatDay(v.day)}: ${format(v.value)}`}</title>
            </rect>
          );
        })}
      </svg>
      {values.length > 0 && (
        <div aria-hidden="true" className="mt-1 flex justify-between text-xs text-slate-500">
          <span>{formatDay(values[0]!.day)}</span>
          <span>{formatDay(values.at(-1)!.day)}</span>
        </div>
      )}
    </figure>
  );
}
