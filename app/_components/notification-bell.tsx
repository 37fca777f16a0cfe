"use client";
// The bell in the workspace's top bar: your unread notifications in this workspace (quota alerts)
// and a popover listing them. Opening a notification's link marks it read.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useEffect, useId, useRef, useState } from "react";
import { useTRPC } from "@/app/_lib/trpc";
import { Alert } from "./alert";
import { Button } from "./button";
import { errorMessage } from "./errors";
import { focusRing, link } from "./styles";
import { Time } from "./time";

/** How often the unread count is refreshed while the page is open. */
const REFRESH_MS = 60_000;

export function NotificationBell({ slug }: { slug: string }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [open, setOpen] = useState(false);
  const panelId = useId();
  const root = useRef<HTMLDivElement>(null);
  const unread = useQuery({
    ...trpc.notifications.unreadCount.queryOptions({ workspace: slug }),
    refetchInterval: REFRESH_MS,
  });
  const list = useQuery({ ...trpc.notifications.list.queryOptions({ workspace: slug }), enabled: open });
  const refresh = () =>
    Promise.all([
      queryClient.invalidateQueries({ queryKey: trpc.notifications.unreadCount.queryKey() }),
      queryClient.invalidateQueries({ queryKey: trpc.notifications.list.queryKey() }),
    ]);
  const markRead = useMutation(trpc.notifications.markRead.mutationOptions({ onSuccess: refresh }));
  const markAll = useMutation(trpc.notifications.markAllRead.mutationOptions({ onSuccess: refresh }));

  // Close on Escape and on a click outside, like a menu.
  useEffect(() => {
    if (!open) return;
    const onKey = (event: KeyboardEvent) => event.key === "Escape" && setOpen(false);
    const onClick = (event: MouseEvent) => {
      if (!root.current?.contains(event.target as Node)) setOpen(false);
    };
    document.addEventListener("keydown", onKey);
    document.addEventListener("mousedown", onClick);
    return () => {
      document.removeEventListener("keydown", onKey);
      document.removeEventListener("mousedown", onClick);
    };
  }, [open]);

  const count = unread.data?.unread ?? 0;
  const error = markRead.error ?? markAll.error;
  return (
    <div ref={root} className="relative">
      <button
        type="button"
        aria-expanded={open}
        aria-controls={panelId}
        aria-label={count > 0 ? `Notifications, ${count} unread` : "Notifications"}
        onClick={() => setOpen(!open)}
        className={`relative rounded-md p-1.5 text-slate-600 hover:bg-slate-100 hover:text-slate-900 ${focusRing}`}
      >
        <svg
          aria-hidden="true"
          viewBox="0 0 24 24"
          fill="none"
          stroke="currentColor"
          strokeWidth="1.8"
          className="size-5"
        >
          <path d="M6 8a6 6 0 1 1 12 0c0 7 3 9 3 9H3s3-2 3-9" strokeLinejoin="round" />
          <path d="M10.3 21a1.94 1.94 0 0 0 3.4 0" strokeLinecap="round" />
        </svg>
        {count > 0 && (
          <span
            aria-hidden="true"
            className="absolute -top-0.5 -right-0.5 min-w-4 rounded-full bg-red-600 px-1 text-center text-[10px] leading-4 font-semibold text-white"
          >
            {count > 99 ? "99+" : count}
          </span>
        )}
      </button>
      {open && (
        <section
          id={panelId}
          aria-label="Notifications"
          className="absolute right-0 z-20 mt-2 w-80 max-w-[calc(100vw-2rem)] rounded-lg border border-slate-200 bg-white shadow-lg"
        >
          <div className="flex items-center justify-between gap-2 border-b border-slate-100 px-4 py-2.5">
            <h2 className="text-sm font-semibold text-slate-900">Notifications</h2>
            {count > 0 && (
              <Button
                variant="ghost"
                size="sm"
                pending={markAll.isPending}
                pendingLabel="Marking…"
                onClick={() => markAll.mutate({ workspace: slug })}
              >
                Mark all read
              </Button>
            )}
          </div>
          {error && (
            <Alert tone="error" className="m-3">
              {errorMessage(error)}
            </Alert>
          )}
          {list.error ? (
            <Alert tone="error" className="m-3">
              {errorMessage(list.error)}
            </Alert>
          ) : !list.data ? (
            <p role="status" className="px-4 py-6 text-sm text-slate-500">
              Loading notifications…
            </p>
          ) : list.data.notifications.length === 0 ? (
            <p className="px-4 py-6 text-sm text-slate-500">Nothing yet. Quota alerts will appear here.</p>
          ) : (
            <ul className="max-h-96 divide-y divide-slate-100 overflow-y-auto">
              {list.data.notifications.map((n) => (
                <li key={n.id} className={`px-4 py-3 text-sm ${n.readAt ? "" : "bg-indigo-50/50"}`}>
                  <p className="font-medium text-slate-900">
                    {!n.readAt && <span className="sr-only">Unread: </span>}
                    {n.title}
                  </p>
                  {n.body && <p className="mt-0.5 text-slate-600">{n.body}</p>}
                  <div className="mt-1.5 flex flex-wrap items-center gap-x-3 gap-y-1 text-xs text-slate-500">
                    <Time value={n.createdAt} />
                    {n.link && (
                      <Link
                        href={n.link}
                        className={link}
                        onClick={() => {
                          setOpen(false);
                          if (!n.readAt) markRead.mutate({ workspace: slug, notificationId: n.id });
                        }}
                      >
                        View usage
                      </Link>
                    )}
                    {!n.readAt && (
                      <button
                        type="button"
                        className={link}
                        onClick={() => markRead.mutate({ workspace: slug, notificationId: n.id })}
                      >
                        Mark read
                      </button>
                    )}
                  </div>
                </li>
              ))}
            </ul>
          )}
        </section>
      )}
    </div>
  );
}
