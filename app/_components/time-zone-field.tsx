"use client";
// A time zone chosen from the browser's list of IANA zones (Intl.supportedValuesOf), grouped by
// region, instead of typed: a typo was only caught by validation. A value the list lacks (an alias
// such as US/Eastern, or a fixed offset written in the code tab) stays selectable as it is.
import { type SelectHTMLAttributes, useSyncExternalStore } from "react";
import { SelectField } from "./field";

interface Zones {
  /** The zone this browser is in. */
  local: string;
  /** Zones by region (the part before the first slash), regions in alphabetical order. */
  regions: [string, string[]][];
}

let zones: Zones | undefined;

/** Read once: the list does not change while the page is open. */
function browserZones(): Zones {
  if (zones) return zones;
  const byRegion = new Map<string, string[]>();
  for (const zone of Intl.supportedValuesOf("timeZone")) {
    const slash = zone.indexOf("/");
    if (slash < 0) continue; // UTC and the like: UTC is offered first on its own
    const region = zone.slice(0, slash);
    byRegion.set(region, [...(byRegion.get(region) ?? []), zone]);
  }
  zones = {
    local: Intl.DateTimeFormat().resolvedOptions().timeZone,
    regions: [...byRegion].sort(([a], [b]) => a.localeCompare(b)),
  };
  return zones;
}

const noSubscription = () => () => {};

/**
 * The zones, or null while rendering on the server and hydrating: the server's ICU may list other
 * zones than the browser's, and the page must hydrate to the markup the server sent.
 */
function useZones(): Zones | null {
  return useSyncExternalStore(noSubscription, browserZones, () => null);
}

type Props = Omit<SelectHTMLAttributes<HTMLSelectElement>, "id" | "value" | "onChange"> & {
  label?: string;
  value: string;
  onChange: (zone: string) => void;
  error?: string;
  hint?: string;
};

export function TimeZoneField({ label = "Time zone", value, onChange, error, hint, ...select }: Props) {
  const list = useZones();
  const listed = value === "" || value === "UTC" || list?.regions.some(([, names]) => names.includes(value));
  return (
    <SelectField
      label={label}
      value={value}
      error={error}
      hint={hint}
      onChange={(event) => onChange(event.target.value)}
      {...select}
    >
      {value === "" && <option value="">Choose a time zone</option>}
      <option value="UTC">UTC</option>
      {!listed && <option value={value}>{value}</option>}
      {list && list.local !== "UTC" && (
        <option value={list.local}>{`${list.local} (this browser's zone)`}</option>
      )}
      {list?.regions.map(([region, names]) => (
        <optgroup key={region} label={region}>
          {names.map((name) => (
            <option key={name} value={name}>
              {name.replaceAll("_", " ")}
            </option>
          ))}
        </optgroup>
      ))}
    </SelectField>
  );
}
