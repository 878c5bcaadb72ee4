/** Minimal `--flag value` / `--switch` parsing: the CLI has few options and no dependency for it. */
export interface Parsed {
  readonly command: string | undefined;
  readonly flags: Readonly<Record<string, string | true>>;
  readonly rest: readonly string[];
}

export function parseArgs(argv: readonly string[]): Parsed {
  const [command, ...tail] = argv;
  const flags: Record<string, string | true> = {};
  const rest: string[] = [];
  for (let i = 0; i < tail.length; i++) {
    const a = tail[i] as string;
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      if (eq > 0) flags[a.slice(2, eq)] = a.slice(eq + 1);
      else if (i + 1 < tail.length && !(tail[i + 1] as string).startsWith('--')) flags[a.slice(2)] = tail[++i] as string;
      else flags[a.slice(2)] = true;
    } else rest.push(a);
  }
  return { command, flags, rest };
}

export const USAGE = `usage: pulsehub-gateway <command> [options]

  run   --config <file>        bridge bound BLE sensors to the hub (the service)
  scan  [--seconds 10]         list nearby BLE devices, their services and decodable advertisements
  pair  --config <file> --user <id> --profile <profile> (--address <addr> | --name <regex> --device-id <id>)
        [--device-id <id>] [--token <admin token>] [--no-scan] [--write]
                               register a device with the hub (POST /api/devices) and, with
                               --write, add its binding to the config file
  help                         this text

The gateway token comes from gateway.tokenFile, gateway.token or PULSEHUB_GATEWAY_TOKEN.`;
