// Berth log viewer: sign in, pick an app, watch its live log over a log session (WebSocket), reconnecting
// with the last cursor so no line is lost or shown twice. Plain JS, no framework, no build step.
// Log text is only ever set through textContent.
/* global document */
'use strict';

(() => {
  const $ = (id) => document.getElementById(id);
  const MAX_LINES = 2000;
  const state = {
    access: null,
    refresh: null,
    app: null,
    socket: null,
    cursor: null,
    stopped: true,
    retries: 0,
    timer: null,
    shown: 0,
    dropped: 0,
  };

  function setStatus(kind, text) {
    const status = $('status');
    status.dataset.state = kind;
    status.textContent = text;
  }

  async function request(method, path, body, retried) {
    const headers = { Accept: 'application/json' };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    if (state.access) headers.Authorization = `Bearer ${state.access}`;
    const response = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (response.status === 401 && !retried && state.refresh && (await refreshTokens())) {
      return request(method, path, body, true);
    }
    const data = await response.json().catch(() => null);
    if (!response.ok) {
      const error = new Error((data && (data.detail || data.title)) || response.statusText);
      error.status = response.status;
      error.code = data && data.code;
      throw error;
    }
    return data;
  }

  async function refreshTokens() {
    const response = await fetch('/v1/auth/refresh', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ refreshToken: state.refresh }),
    });
    if (!response.ok) {
      state.access = state.refresh = null;
      return false;
    }
    const tokens = await response.json();
    state.access = tokens.accessToken;
    state.refresh = tokens.refreshToken;
    return true;
  }

  async function signIn(event) {
    event.preventDefault();
    $('signin-error').textContent = '';
    try {
      const tokens = await request('POST', '/v1/auth/login', {
        email: $('email').value,
        password: $('password').value,
      });
      state.access = tokens.accessToken;
      state.refresh = tokens.refreshToken;
      $('password').value = '';
      await loadApps();
      $('signin').hidden = true;
      $('viewer').hidden = false;
      setStatus('idle', 'signed in');
    } catch (error) {
      $('signin-error').textContent = error.message;
    }
  }

  async function loadApps() {
    const apps = await request('GET', '/v1/apps');
    const select = $('app');
    select.replaceChildren(
      ...apps.map((app) => {
        const option = document.createElement('option');
        option.value = app.name;
        option.textContent = app.name;
        return option;
      }),
    );
  }

  function watch() {
    stop();
    state.app = $('app').value;
    if (!state.app) return;
    state.cursor = null;
    state.stopped = false;
    state.retries = 0;
    state.shown = 0;
    state.dropped = 0;
    $('log').replaceChildren();
    updateCounts();
    $('stop').disabled = false;
    void connect();
  }

  function stop() {
    state.stopped = true;
    clearTimeout(state.timer);
    const socket = state.socket;
    state.socket = null;
    if (socket) socket.close(1000, 'stopped');
    $('stop').disabled = true;
    if (state.app) setStatus('idle', 'stopped');
  }

  async function connect() {
    clearTimeout(state.timer);
    if (state.stopped) return;
    setStatus('connecting', 'connecting…');
    let session;
    try {
      session = await request('POST', `/v1/apps/${encodeURIComponent(state.app)}/log-sessions`);
    } catch (error) {
      if (error.status === 404 || error.status === 403 || error.status === 401) return fail(error.message);
      return reconnectLater();
    }
    if (state.stopped) return;
    const url = new URL(session.url);
    // Resume right after the last line shown; the first time, start with the last 100 lines.
    if (state.cursor) url.searchParams.set('cursor', state.cursor);
    else url.searchParams.set('tail', '100');
    const socket = new WebSocket(url);
    state.socket = socket;
    socket.onmessage = (event) => {
      if (state.socket !== socket) return;
      const message = JSON.parse(event.data);
      if (message.type === 'connected') {
        state.retries = 0;
        setStatus('connected', 'connected');
      } else if (message.type === 'lines') {
        for (const line of message.lines) appendLine(line);
        state.cursor = message.lines[message.lines.length - 1].cursor;
        updateCounts();
      } else if (message.type === 'dropped') {
        state.dropped += message.count || 0;
        appendMarker(
          message.count === null
            ? 'lines may be missing here'
            : `${message.count} lines dropped (the viewer fell behind)`,
        );
        updateCounts();
      }
    };
    socket.onclose = (event) => {
      if (state.socket !== socket) return;
      state.socket = null;
      if (state.stopped) return;
      if (event.code === 4404) return fail('the app was not found (deleted?)');
      if (event.code === 4403) return fail('you may not read these logs');
      if (event.code === 4400) return fail(event.reason || 'bad request');
      // 4401 (session expired), 4429 (too many streams), 1001 (server restart), network loss: try again.
      reconnectLater(event.code === 4429 ? 'too many open streams' : '');
    };
  }

  function reconnectLater(why) {
    if (state.stopped) return;
    const delay = Math.min(15000, 500 * 2 ** state.retries++);
    setStatus('reconnecting', `reconnecting in ${Math.ceil(delay / 1000)} s${why ? ` (${why})` : ''}…`);
    state.timer = setTimeout(() => void connect(), delay);
  }

  function fail(message) {
    state.stopped = true;
    $('stop').disabled = true;
    setStatus('error', message);
  }

  function appendLine(line) {
    const item = document.createElement('li');
    item.className = line.stream;
    item.dataset.replica = line.replica;
    const time = document.createElement('span');
    time.className = 'time';
    time.textContent = line.timestamp.slice(11, 23);
    time.title = line.timestamp;
    const replica = document.createElement('span');
    replica.className = 'replica';
    replica.textContent = line.replica ? line.replica.slice(0, 8) : 'berth';
    const text = document.createElement('span');
    text.className = 'text';
    text.textContent = line.text;
    item.append(time, replica, text);
    push(item);
    state.shown += 1;
  }

  function appendMarker(text) {
    const item = document.createElement('li');
    item.className = 'marker';
    const span = document.createElement('span');
    span.className = 'text';
    span.textContent = `… ${text}`;
    item.append(document.createElement('span'), document.createElement('span'), span);
    push(item);
  }

  function push(item) {
    const log = $('log');
    log.append(item);
    while (log.childElementCount > MAX_LINES) log.firstElementChild.remove();
    if ($('follow').checked) log.scrollTop = log.scrollHeight;
  }

  function updateCounts() {
    $('counts').textContent = `${state.shown} lines${state.dropped ? ` · ${state.dropped} dropped` : ''}`;
  }

  $('signin').addEventListener('submit', (event) => void signIn(event));
  $('watch').addEventListener('click', watch);
  $('stop').addEventListener('click', stop);
})();
