// The icons operators may show (palette, canvas, run graph), by name. The web app draws each as an
// SVG (app/_components/operator-icon.tsx maps every name here to a lucide icon), so they look the
// same on every machine; emoji rendered as empty boxes where no emoji font was installed.
export const operatorIconNames = [
  "alarm-clock",
  "circle",
  "database",
  "file-code",
  "flask",
  "globe",
  "hand",
  "hourglass",
  "link",
  "megaphone",
  "radio-tower",
  "rocket",
  "search",
  "split",
  "terminal",
] as const;

export type OperatorIconName = (typeof operatorIconNames)[number];
