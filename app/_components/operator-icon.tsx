// An operator's icon as SVG (lucide), by the name its definition gives (server/operators/icons.ts).
import {
  AlarmClock,
  Circle,
  CircleHelp,
  Database,
  FileCode,
  FlaskConical,
  Globe,
  Hand,
  Hourglass,
  Link,
  type LucideIcon,
  Megaphone,
  RadioTower,
  Rocket,
  Search,
  Split,
  SquareTerminal,
} from "lucide-react";
import type { OperatorIconName } from "@/server/operators/icons";

const icons: Record<OperatorIconName, LucideIcon> = {
  "alarm-clock": AlarmClock,
  circle: Circle,
  database: Database,
  "file-code": FileCode,
  flask: FlaskConical,
  globe: Globe,
  hand: Hand,
  hourglass: Hourglass,
  link: Link,
  megaphone: Megaphone,
  "radio-tower": RadioTower,
  rocket: Rocket,
  search: Search,
  split: Split,
  terminal: SquareTerminal,
};

/** Decorative: the operator's title is always written beside it. Unknown names get a question mark. */
export function OperatorIcon({
  name,
  className = "size-3.5",
}: {
  name: string | undefined;
  className?: string;
}) {
  const Icon = (name && icons[name as OperatorIconName]) || CircleHelp;
  return <Icon aria-hidden="true" className={`shrink-0 ${className}`} />;
}
