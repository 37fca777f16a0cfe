import type { Metadata } from "next";
import { LineagePage } from "./lineage-view";

export const metadata: Metadata = { title: "Lineage" };

export default function Page() {
  return <LineagePage />;
}
