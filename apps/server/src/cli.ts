import { CliError } from './cli/open.js';
import { agent } from './cli/agent.js';
import { type CommandName, commands } from './cli/commands.js';
import { doctor } from './cli/doctor.js';

// `npx private-connect <command>`: the operator's tools, with the server's configuration (the same
// environment variables). Safe while the server runs.
const HELP = `Usage: private-connect <command> [arguments]

  sign-in-link <email>               print a single-use sign-in link (15 minutes) for an account
  create-workspace <email> <name>    create an account and its workspace, whatever SIGNUP says,
                                     and print a sign-in link for it
  users                              list accounts and their workspaces
  workspaces                         list workspaces, their owner and active keys
  keys <workspace-name>              list a workspace's API keys (revoked ones too)
  revoke-key <key-id>                revoke an API key; the running server refuses it at once
  backup <file>                      a consistent copy of the database while it runs
                                     (SQLite: VACUUM INTO; PostgreSQL: pg_dump --format=custom)
  doctor                             check configuration, database, mail relay and PUBLIC_URL
  openapi                            print the OpenAPI document of /v1 (servers: PUBLIC_URL)

It reads the same environment as the server (DATABASE_URL, PUBLIC_URL, SMTP_URL, …); run it in the
directory the server runs in. Links are printed on stdout, everything else on stderr. Exit 0 when
done, 1 on any failure.

  agent --name <name> [--label <label>] [--interval <seconds>] [--verbose]
                                     the reference agent, on any machine: registers <name> in the
                                     key's workspace if it has none, then heartbeats every 30 s
                                     (--interval) until SIGTERM or SIGINT (exit 0). Retries with
                                     backoff and honours Retry-After; exits 1 if the key is refused
                                     (401). Needs PRIVATE_CONNECT_URL and PRIVATE_CONNECT_API_KEY,
                                     nothing else; logs each change of state on stderr.`;

/** Aborts on the first SIGTERM or SIGINT; a second one kills as usual. */
function stopSignal(): AbortSignal {
  const stop = new AbortController();
  for (const s of ['SIGTERM', 'SIGINT'] as const) process.once(s, () => stop.abort(s));
  return stop.signal;
}

async function main(argv: string[]): Promise<number> {
  const [name, ...args] = argv;
  const io = { out: (l: string) => process.stdout.write(`${l}\n`), err: (l: string) => process.stderr.write(`${l}\n`) };
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    io.out(HELP);
    return name ? 0 : 1;
  }
  if (args.includes('--help') || args.includes('-h')) {
    io.out(HELP);
    return 0;
  }
  if (name === 'doctor') return (await doctor(process.env, io)) ? 0 : 1;
  if (name === 'agent') {
    await agent(args, process.env, io, { signal: stopSignal() });
    return 0;
  }
  const command = commands[name as CommandName];
  if (!command) {
    io.err(`Unknown command "${name}".\n\n${HELP}`);
    return 1;
  }
  await command(args, process.env, io);
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`${err instanceof CliError ? err.message : err instanceof Error ? `error: ${err.message}` : String(err)}\n`);
    process.exit(1);
  },
);
