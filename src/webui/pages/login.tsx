/** The login page, shown while the session is not authenticated. */
import {useState} from 'preact/hooks';
import type {SessionJson} from '../../web/api-types.js';
import {ApiError, postJson} from '../api.js';

export function LoginPage(props: {session: SessionJson; onLogin: (s: SessionJson) => void}): preact.JSX.Element {
  const methods = props.session.loginMethods;
  const [method, setMethod] = useState<'password' | 'token'>(methods.includes('password') ? 'password' : 'token');
  const [user, setUser] = useState('');
  const [password, setPassword] = useState('');
  const [token, setToken] = useState('');
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  const submit = (e: Event): void => {
    e.preventDefault();
    setBusy(true);
    setError('');
    postJson<SessionJson>('login', method === 'password' ? {user, password} : {token}).then(
      (s) => {
        setBusy(false);
        setPassword('');
        setToken('');
        props.onLogin(s);
      },
      (err: unknown) => {
        setBusy(false);
        setError(
          err instanceof ApiError && err.status === 401
            ? method === 'password'
              ? 'Wrong user or password.'
              : 'Wrong token.'
            : err instanceof Error
              ? err.message
              : String(err),
        );
      },
    );
  };
  return (
    <div class="login" data-page="login">
      <form class="login-box" onSubmit={submit}>
        <h1>asynq</h1>
        <p class="muted">Log in to the dashboard.</p>
        {methods.length > 1 ? (
          <div class="tabs">
            {methods.map((m) => (
              <button key={m} type="button" class={m === method ? 'tab active' : 'tab'} onClick={() => setMethod(m)}>
                {m === 'password' ? 'Password' : 'Token'}
              </button>
            ))}
          </div>
        ) : null}
        {method === 'password' ? (
          <>
            <label>
              User
              <input
                name="user"
                autocomplete="username"
                value={user}
                onInput={(e) => setUser(e.currentTarget.value)}
                required
              />
            </label>
            <label>
              Password
              <input
                name="password"
                type="password"
                autocomplete="current-password"
                value={password}
                onInput={(e) => setPassword(e.currentTarget.value)}
                required
              />
            </label>
          </>
        ) : (
          <label>
            Token
            <input
              name="token"
              type="password"
              value={token}
              onInput={(e) => setToken(e.currentTarget.value)}
              required
            />
          </label>
        )}
        {error !== '' ? (
          <p class="error" role="alert">
            {error}
          </p>
        ) : null}
        <button type="submit" class="primary" disabled={busy}>
          {busy ? 'Logging in…' : 'Log in'}
        </button>
      </form>
    </div>
  );
}
