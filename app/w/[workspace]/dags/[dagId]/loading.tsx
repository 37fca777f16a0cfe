import { PageSkeleton } from "@/app/_components/status-page";

export default function Loading() {
  return <PageSkeleton label="the DAG" />;
}
