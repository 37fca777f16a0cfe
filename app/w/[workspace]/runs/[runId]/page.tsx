import type { Metadata } from "next";
import { listOperators } from "@/server/operators/catalog";
import { RunPage } from "./run-view";

export const metadata: Metadata = { title: "Run" };

export default function Page() {
  const icons = Object.fromEntries(listOperators().map((operator) => [operator.name, operator.icon]));
  return <RunPage icons={icons} />;
}
