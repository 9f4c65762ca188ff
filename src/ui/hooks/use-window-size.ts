/**
 * The terminal size, following resizes (Ink 6 has no such hook). `fixed` pins either dimension
 * (component tests, which have no real terminal); a missing size reads as 80×24.
 */
import {useStdout} from 'ink';
import {useEffect, useState} from 'react';

export interface WindowSize {
  columns: number;
  rows: number;
}

export function useWindowSize(fixed: Partial<WindowSize> = {}): WindowSize {
  const {stdout} = useStdout();
  const read = (): WindowSize => ({
    columns: fixed.columns ?? (stdout.columns || 80),
    rows: fixed.rows ?? (stdout.rows || 24),
  });
  const [size, setSize] = useState(read);
  useEffect(() => {
    const onResize = (): void => {
      const next = read();
      setSize((s) => (s.columns === next.columns && s.rows === next.rows ? s : next));
    };
    onResize();
    stdout.on('resize', onResize);
    return () => {
      stdout.off('resize', onResize);
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [stdout, fixed.columns, fixed.rows]);
  return {columns: fixed.columns ?? size.columns, rows: fixed.rows ?? size.rows};
}
