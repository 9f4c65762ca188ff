/**
 * Entry point of `asynq dash` (loaded lazily by src/commands/dash.ts, so no other command loads
 * React or Ink). Runs the App full-screen on the terminal's alternate screen and returns when the
 * user quits or a signal arrives; the terminal is restored on every path.
 *
 * One exit point: the App's `q`/Ctrl+C, the `signal` option (the command aborts it on
 * SIGINT/SIGTERM/SIGHUP) and a render error all end in Ink's unmount, which settles
 * `waitUntilExit` (rejecting for a render error, so the command reports it with exit status 1).
 */
import {render, Text, useApp} from 'ink';
import {Component, type ReactNode} from 'react';
import {App, type AppProps} from './App.js';
import {inspectorSource, type DashInspector} from './source.js';

const ENTER_ALT_SCREEN = '\u001b[?1049h\u001b[2J\u001b[H';
const LEAVE_ALT_SCREEN = '\u001b[?1049l';

interface BoundaryProps {
  onError: (err: Error) => void;
  children: ReactNode;
}

/** Turns an error thrown while rendering into a clean exit instead of a broken terminal. */
class ErrorBoundary extends Component<BoundaryProps, {error: Error | null}> {
  override state = {error: null as Error | null};

  static getDerivedStateFromError(error: Error): {error: Error} {
    return {error};
  }

  override componentDidCatch(error: Error): void {
    this.props.onError(error);
  }

  override render(): ReactNode {
    return this.state.error === null ? (
      this.props.children
    ) : (
      <Text>asynq dash stopped: {this.state.error.message}</Text>
    );
  }
}

/** The App inside the lifecycle root: a render error exits with that error. */
function DashRoot(props: AppProps) {
  const {exit} = useApp();
  return (
    <ErrorBoundary onError={(err) => exit(err)}>
      <App {...props} />
    </ErrorBoundary>
  );
}

export interface RunDashOptions extends Omit<AppProps, 'source'> {
  inspector: DashInspector;
  stdout?: NodeJS.WriteStream;
  stdin?: NodeJS.ReadStream;
  /** Quits the dashboard when it aborts (the command's stop signals). */
  signal?: AbortSignal;
}

/** Runs the dashboard until the user quits; rejects only for a render error. */
export async function runDash(opts: RunDashOptions): Promise<void> {
  const {inspector, stdout = process.stdout, stdin = process.stdin, signal, ...appProps} = opts;
  stdout.write(ENTER_ALT_SCREEN);
  const instance = render(<DashRoot {...appProps} source={inspectorSource(inspector)} />, {
    stdout,
    stdin,
    exitOnCtrlC: false, // Ctrl+C is a key of the App (raw mode)
    patchConsole: true,
    // Ink 6.8's incremental mode redraws one line too low when the frame ends with a newline (as
    // ours does: rows - 1 lines, so the terminal never scrolls); the standard mode erases and
    // rewrites the frame inside a synchronized update.
    incrementalRendering: false,
  });
  const stop = (): void => instance.unmount();
  if (signal?.aborted) stop();
  signal?.addEventListener('abort', stop, {once: true});
  try {
    await instance.waitUntilExit();
  } finally {
    signal?.removeEventListener('abort', stop);
    instance.cleanup();
    stdout.write(LEAVE_ALT_SCREEN);
  }
}
