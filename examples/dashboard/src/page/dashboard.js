// The scanplane dashboard page: plain browser JavaScript, inlined into the page by the plugin (no build step, no
// CDN). Every value from the server reaches the page through textContent or setAttribute, never innerHTML, so a
// target, project name or error message that looks like markup shows as text.
//
// Live updates: fetch() of /dashboard/events with the bearer token in the Authorization header, read as a stream
// of server-sent events (EventSource cannot send headers). It reconnects with a growing delay when the stream ends.
(() => {
  const config = JSON.parse(document.getElementById('dashboard-config').textContent);
  const TOKEN_KEY = 'scanplane.dashboard.token';
  const STATUSES = ['created', 'queued', 'requested', 'started', 'finished', 'failed', 'cancelled'];
  const RETRY_MIN_MS = 1000;
  const RETRY_MAX_MS = 10000;

  const byId = (id) => document.getElementById(id);
  const state = {
    token: sessionStorage.getItem(TOKEN_KEY),
    snapshot: undefined,
    /** Browser clock minus server clock, from the last snapshot, so elapsed times are right on both. */
    skewMs: 0,
    controller: undefined,
    retryMs: RETRY_MIN_MS,
    retryTimer: undefined,
  };

  /** An element with attributes (skipped when null, undefined or false) and children (text or nodes). */
  function h(tag, attributes, ...children) {
    const element = document.createElement(tag);
    for (const [name, value] of Object.entries(attributes ?? {})) {
      if (value === undefined || value === null || value === false) continue;
      if (name.startsWith('on')) element.addEventListener(name.slice(2), value);
      else element.setAttribute(name, String(value));
    }
    for (const child of children.flat()) {
      if (child === undefined || child === null || child === false) continue;
      element.append(child instanceof Node ? child : String(child));
    }
    return element;
  }

  function formatDuration(ms) {
    const seconds = Math.max(0, Math.floor(ms / 1000));
    if (seconds < 60) return `${seconds}s`;
    const minutes = Math.floor(seconds / 60);
    if (minutes < 60) return `${minutes}m ${seconds % 60}s`;
    return `${Math.floor(minutes / 60)}h ${minutes % 60}m`;
  }

  function formatTime(at) {
    return at === undefined ? '' : new Date(at).toLocaleTimeString();
  }

  /** Server time now, as the browser sees it. */
  function serverNow() {
    return Date.now() - state.skewMs;
  }

  function setLive(text, name) {
    const element = byId('live-status');
    element.textContent = text;
    element.dataset.state = name;
  }

  function showResult(text, ok) {
    const element = byId('action-result');
    element.hidden = false;
    element.textContent = text;
    element.dataset.state = ok ? 'ok' : 'error';
  }

  // ---- token ----

  function showLogin(message) {
    stopStream();
    byId('dashboard').hidden = true;
    byId('logout').hidden = true;
    byId('problem').hidden = true;
    byId('login').hidden = false;
    byId('login-message').textContent = message ?? '';
    byId('generated-at').textContent = '';
    setLive('signed out', 'offline');
    byId('token-input').focus();
  }

  function signIn(token) {
    state.token = token;
    sessionStorage.setItem(TOKEN_KEY, token);
    byId('login').hidden = true;
    byId('dashboard').hidden = false;
    byId('logout').hidden = false;
    startStream();
  }

  function signOut(message) {
    state.token = null;
    state.snapshot = undefined;
    sessionStorage.removeItem(TOKEN_KEY);
    for (const id of ['totals', 'running-body', 'failures-body', 'projects', 'organizations'])
      byId(id).replaceChildren();
    byId('action-result').hidden = true;
    showLogin(message);
  }

  // ---- live stream ----

  function stopStream() {
    state.controller?.abort();
    state.controller = undefined;
    clearTimeout(state.retryTimer);
  }

  async function startStream() {
    stopStream();
    const controller = new AbortController();
    state.controller = controller;
    setLive('connecting', 'connecting');
    try {
      const response = await fetch(config.eventsUrl, {
        headers: { authorization: `Bearer ${state.token}`, accept: 'text/event-stream' },
        cache: 'no-store',
        signal: controller.signal,
      });
      if (response.status === 401 || response.status === 403) {
        signOut('The token was refused.');
        return;
      }
      if (!response.ok || response.body === null) throw new Error(`HTTP ${response.status}`);
      setLive('live', 'live');
      state.retryMs = RETRY_MIN_MS;
      await readEvents(response.body);
    } catch {
      // A network error or an abort: handled below.
    }
    if (controller.signal.aborted || state.controller !== controller) return;
    setLive('reconnecting', 'reconnecting');
    state.retryTimer = setTimeout(startStream, state.retryMs);
    state.retryMs = Math.min(state.retryMs * 2, RETRY_MAX_MS);
  }

  /** Reads server-sent events from a response body until it ends. */
  async function readEvents(body) {
    const reader = body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buffer = (buffer + value).replace(/\r\n?/g, '\n');
      let end = buffer.indexOf('\n\n');
      while (end !== -1) {
        dispatch(buffer.slice(0, end));
        buffer = buffer.slice(end + 2);
        end = buffer.indexOf('\n\n');
      }
    }
  }

  /** Handles one event block (`event:` and `data:` lines; comments and other fields are ignored). */
  function dispatch(block) {
    let event = 'message';
    const data = [];
    for (const line of block.split('\n')) {
      if (line === '' || line.startsWith(':')) continue;
      const colon = line.indexOf(':');
      const field = colon === -1 ? line : line.slice(0, colon);
      const value = colon === -1 ? '' : line.slice(colon + 1).replace(/^ /, '');
      if (field === 'event') event = value;
      else if (field === 'data') data.push(value);
    }
    if (event === 'snapshot') {
      const snapshot = JSON.parse(data.join('\n'));
      state.snapshot = snapshot;
      state.skewMs = Date.now() - snapshot.generatedAt;
      render(snapshot);
    } else if (event === 'heartbeat') {
      byId('live-status').dataset.heartbeat = String(Date.now());
    } else if (event === 'unauthorized') {
      signOut('The token is no longer valid.');
    }
  }

  // ---- rendering ----

  function statusBadge(status) {
    return h('span', { class: `badge status-${status}`, 'data-testid': 'status' }, status);
  }

  function targetCell(task) {
    const text =
      task.target ?? (task.scanId === undefined ? task.kind : `${task.kind} (scan ${task.scanId})`);
    const hostnames = task.hostnames?.length ? h('div', { class: 'muted' }, task.hostnames.join(', ')) : null;
    return h('td', { 'data-testid': 'target' }, text, hostnames);
  }

  function elapsedCell(task) {
    if (task.startedAt === undefined) return h('td', { class: 'numeric', 'data-testid': 'elapsed' }, '–');
    return h(
      'td',
      { class: 'numeric elapsed', 'data-testid': 'elapsed', 'data-started-at': task.startedAt },
      formatDuration(serverNow() - task.startedAt),
    );
  }

  function renderTotals(totals) {
    byId('totals').replaceChildren(
      ...STATUSES.map((status) =>
        h(
          'div',
          { class: `tile status-${status}` },
          h('span', { class: 'muted' }, status),
          h(
            'span',
            { class: 'tile-value', id: `total-${status}`, 'data-testid': `total-${status}` },
            totals[status],
          ),
        ),
      ),
    );
  }

  function renderRunning(running) {
    byId('running-count').textContent = running.length > 0 ? `(${running.length})` : '';
    byId('running-empty').hidden = running.length > 0;
    byId('running-body').replaceChildren(
      ...running.map((task) =>
        h(
          'tr',
          { 'data-testid': 'running-task', 'data-task-id': task.id, 'data-project': task.project },
          targetCell(task),
          h('td', {}, task.ports ?? ''),
          h('td', { 'data-testid': 'task-project' }, task.project),
          h('td', {}, task.kind),
          h('td', {}, statusBadge(task.status)),
          h('td', { 'data-testid': 'worker' }, task.worker ?? '–'),
          elapsedCell(task),
        ),
      ),
    );
  }

  function renderFailures(failures) {
    byId('failures-empty').hidden = failures.length > 0;
    byId('failures-body').replaceChildren(
      ...failures.map((task) =>
        h(
          'tr',
          { 'data-testid': 'failure', 'data-task-id': task.id, 'data-project': task.project },
          h('td', { class: 'numeric' }, formatTime(task.finishedAt)),
          targetCell(task),
          h('td', { 'data-testid': 'task-project' }, task.project),
          h('td', { 'data-testid': 'error-code' }, task.error?.code ?? ''),
          h('td', { 'data-testid': 'error-message' }, task.error?.message ?? ''),
          h('td', { class: 'numeric' }, `${task.attempt}/${task.maxAttempts}`),
        ),
      ),
    );
  }

  function countsRow(counts) {
    return h(
      'div',
      { class: 'counts' },
      ...STATUSES.map((status) =>
        h(
          'span',
          { class: `count status-${status}` },
          `${status} `,
          h('b', { 'data-testid': `count-${status}`, 'data-status': status }, counts[status]),
        ),
      ),
    );
  }

  function recentTable(tasks) {
    if (tasks.length === 0) return h('p', { class: 'muted' }, 'No tasks yet.');
    return h(
      'table',
      { class: 'recent' },
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          ['Target', 'Ports', 'Kind', 'State', 'Attempt', 'Worker', 'Created'].map((title) =>
            h('th', {}, title),
          ),
        ),
      ),
      h(
        'tbody',
        {},
        tasks.map((task) =>
          h(
            'tr',
            { 'data-testid': 'task', 'data-task-id': task.id, 'data-status': task.status },
            targetCell(task),
            h('td', {}, task.ports ?? ''),
            h('td', {}, task.kind),
            h(
              'td',
              {},
              statusBadge(task.status),
              task.error ? h('div', { class: 'muted' }, task.error.code) : null,
            ),
            h('td', { class: 'numeric' }, `${task.attempt}/${task.maxAttempts}`),
            h('td', {}, task.worker ?? ''),
            h('td', { class: 'numeric' }, formatTime(task.createdAt)),
          ),
        ),
      ),
    );
  }

  function renderProjects(projects) {
    byId('projects-empty').hidden = projects.length > 0;
    byId('projects').replaceChildren(
      ...projects.map((project) => {
        const active =
          project.counts.created + project.counts.queued + project.counts.requested + project.counts.started;
        const stop = config.stopPath
          ? h(
              'button',
              {
                type: 'button',
                class: 'stop',
                'data-testid': 'stop-project',
                disabled: active === 0 ? 'disabled' : false,
                onclick: () => stopProject(project.name),
              },
              'Stop',
            )
          : null;
        return h(
          'section',
          { class: 'project', 'data-testid': 'project', 'data-project': project.name },
          h(
            'div',
            { class: 'project-head' },
            h('h3', { 'data-testid': 'project-name' }, project.name),
            h('span', { class: 'muted', 'data-testid': 'project-active' }, `${active} active`),
            stop,
          ),
          countsRow(project.counts),
          recentTable(project.recent),
        );
      }),
    );
  }

  function renderOrganizations(organizations, hidden) {
    byId('organizations-card').hidden = organizations === undefined;
    if (organizations === undefined) return;
    const more = byId('organizations-hidden');
    more.hidden = !hidden;
    more.textContent = hidden ? `${hidden} more organizations are not shown.` : '';
    byId('organizations').replaceChildren(
      ...organizations.map((org) =>
        h(
          'section',
          { class: 'organization', 'data-testid': 'organization', 'data-organization-id': org.id },
          h('h3', { 'data-testid': 'organization-name' }, org.name),
          org.counts ? countsRow(org.counts) : null,
          recentTable(org.recent),
        ),
      ),
    );
  }

  function renderProjectChoice(projects) {
    const select = byId('submit-project');
    const names = projects.map((project) => project.name);
    const current = [...select.options].map((option) => option.value);
    if (names.length === current.length && names.every((name, index) => name === current[index])) return;
    const chosen = select.value;
    select.replaceChildren(...names.map((name) => h('option', { value: name }, name)));
    if (names.includes(chosen)) select.value = chosen;
  }

  function render(snapshot) {
    byId('generated-at').textContent = `updated ${formatTime(snapshot.generatedAt)}`;
    const problem = byId('problem');
    problem.hidden = snapshot.problem === undefined;
    problem.textContent = snapshot.problem ?? '';
    renderTotals(snapshot.totals);
    renderRunning(snapshot.running);
    renderFailures(snapshot.failures);
    renderProjects(snapshot.projects);
    renderOrganizations(snapshot.organizations, snapshot.hiddenOrganizations);
    if (config.submitPath) renderProjectChoice(snapshot.projects);
  }

  function tickElapsed() {
    for (const cell of document.querySelectorAll('td.elapsed')) {
      cell.textContent = formatDuration(serverNow() - Number(cell.dataset.startedAt));
    }
  }

  // ---- actions (tasker service) ----

  /** POSTs `body` to a service path with the project in it; resolves to { ok, status, body }. */
  async function callService(path, project, body) {
    const response = await fetch(path.replaceAll('{project}', encodeURIComponent(project)), {
      method: 'POST',
      headers: { authorization: `Bearer ${state.token}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    const text = await response.text();
    let parsed = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // Not JSON: shown as text.
    }
    return { ok: response.ok, status: response.status, body: parsed };
  }

  /**
   * A line about a service answer: its message when it has one; for Tasker's answers, the tasks created (run) or
   * cancelled (stop); else its JSON, cut short.
   */
  function describeAnswer(answer) {
    const body = answer.body;
    if (body && typeof body === 'object') {
      if (typeof body.message === 'string') return body.message;
      if (body.error && typeof body.error === 'object' && typeof body.error.message === 'string') {
        return body.error.message;
      }
      if (body.tasks && typeof body.tasks.created === 'number') {
        const parts = [`${body.tasks.created} task(s) created`];
        if (body.tasks.alreadyQueued) parts.push(`${body.tasks.alreadyQueued} already queued`);
        if (Array.isArray(body.refusedEntries) && body.refusedEntries.length > 0) {
          const first = body.refusedEntries[0];
          parts.push(
            `${body.refusedEntries.length} entries refused (${first.input}: ${first.message || first.reason})`,
          );
        }
        return parts.join(', ');
      }
      if (typeof body.cancelled === 'number') {
        return `${body.cancelled} task(s) cancelled, ${body.aborted ?? 0} running task(s) told to stop`;
      }
    }
    const text = typeof body === 'string' ? body : JSON.stringify(body);
    return text.length > 400 ? `${text.slice(0, 399)}…` : text;
  }

  async function submitTargets(event) {
    event.preventDefault();
    const project = byId('submit-project').value;
    const targets = byId('submit-targets')
      .value.split(/\s+/)
      .filter((entry) => entry !== '');
    if (!project || targets.length === 0) {
      showResult('Choose a project and give at least one target.', false);
      return;
    }
    const body = { targets };
    const ports = byId('submit-ports').value.trim();
    if (ports !== '') body.ports = ports;
    const button = byId('submit-button');
    button.disabled = true;
    try {
      const answer = await callService(config.submitPath, project, body);
      showResult(
        answer.ok
          ? `Submitted ${targets.length} target(s) to ${project}: ${describeAnswer(answer)}`
          : `Submit to ${project} refused (HTTP ${answer.status}): ${describeAnswer(answer)}`,
        answer.ok,
      );
      if (answer.ok) byId('submit-targets').value = '';
    } catch (error) {
      showResult(`Submit to ${project} failed: ${error.message}`, false);
    } finally {
      button.disabled = false;
    }
  }

  async function stopProject(project) {
    try {
      const answer = await callService(config.stopPath, project, {});
      showResult(
        answer.ok
          ? `Stopped ${project}: ${describeAnswer(answer)}`
          : `Stop of ${project} refused (HTTP ${answer.status}): ${describeAnswer(answer)}`,
        answer.ok,
      );
    } catch (error) {
      showResult(`Stop of ${project} failed: ${error.message}`, false);
    }
  }

  // ---- start ----

  byId('login').addEventListener('submit', (event) => {
    event.preventDefault();
    const token = byId('token-input').value.trim();
    byId('token-input').value = '';
    if (token !== '') signIn(token);
  });
  byId('logout').addEventListener('click', () => signOut('Signed out.'));
  if (config.submitPath) {
    byId('submit-card').hidden = false;
    byId('submit-form').addEventListener('submit', submitTargets);
  }
  setInterval(tickElapsed, 1000);
  if (state.token) signIn(state.token);
  else showLogin();
})();
