/** The pieces {@link pageHtml} puts in the page, each already safe where it goes. */
export interface PageParts {
  /** The page title, HTML-escaped. */
  title: string;
  /** The CSP nonce of this response. */
  nonce: string;
  /** The stylesheet (no closing style tag inside). */
  style: string;
  /** The page script (no closing script tag inside). */
  script: string;
  /** The page configuration as JSON safe inside a script element. */
  config: string;
}

/** The page markup around its parts: sign-in form, totals, submit form, running, failures, projects, organizations. */
export function pageHtml(parts: PageParts): string {
  return `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <meta name="referrer" content="no-referrer" />
    <link rel="icon" href="data:," />
    <title>${parts.title}</title>
    <style nonce="${parts.nonce}">
${parts.style}
    </style>
  </head>
  <body>
    <header class="bar">
      <h1 id="title">${parts.title}</h1>
      <span id="live-status" data-state="offline">offline</span>
      <span id="generated-at" class="muted"></span>
      <button id="logout" type="button" hidden>Forget token</button>
    </header>
    <div id="problem" role="alert" hidden></div>

    <form id="login" class="card login" autocomplete="off">
      <h2>Sign in</h2>
      <label for="token-input">Access token</label>
      <input id="token-input" name="token" type="password" required spellcheck="false" />
      <button id="token-submit" type="submit">Open the dashboard</button>
      <p id="login-message" role="status"></p>
      <p class="muted">The token stays in this tab (session storage) and goes with every request as a bearer token.</p>
    </form>

    <main id="dashboard" hidden>
      <section class="card" aria-labelledby="totals-heading">
        <h2 id="totals-heading">Tasks by state</h2>
        <div id="totals" class="tiles"></div>
      </section>

      <section id="submit-card" class="card" aria-labelledby="submit-heading" hidden>
        <h2 id="submit-heading">Submit targets</h2>
        <form id="submit-form" autocomplete="off">
          <label for="submit-project">Project</label>
          <select id="submit-project" required></select>
          <label for="submit-targets">Targets, one per line (addresses, networks, ranges, hostnames)</label>
          <textarea id="submit-targets" rows="3" required spellcheck="false"></textarea>
          <label for="submit-ports">Ports (empty: the service's default)</label>
          <input id="submit-ports" spellcheck="false" placeholder="22,80,443" />
          <button id="submit-button" type="submit">Submit</button>
        </form>
      </section>
      <p id="action-result" role="status" hidden></p>

      <section class="card" aria-labelledby="running-heading">
        <h2 id="running-heading">Running <span id="running-count" class="muted"></span></h2>
        <table id="running">
          <thead>
            <tr><th>Target</th><th>Ports</th><th>Project</th><th>Kind</th><th>State</th><th>Worker</th><th>Elapsed</th></tr>
          </thead>
          <tbody id="running-body"></tbody>
        </table>
        <p id="running-empty" class="muted">Nothing is running.</p>
      </section>

      <section class="card" aria-labelledby="failures-heading">
        <h2 id="failures-heading">Recent failures</h2>
        <table id="failures">
          <thead>
            <tr><th>When</th><th>Target</th><th>Project</th><th>Code</th><th>Message</th><th>Attempt</th></tr>
          </thead>
          <tbody id="failures-body"></tbody>
        </table>
        <p id="failures-empty" class="muted">No failures.</p>
      </section>

      <section class="card" aria-labelledby="projects-heading">
        <h2 id="projects-heading">Projects</h2>
        <div id="projects"></div>
        <p id="projects-empty" class="muted" hidden>No projects.</p>
      </section>

      <section id="organizations-card" class="card" aria-labelledby="organizations-heading" hidden>
        <h2 id="organizations-heading">Organizations</h2>
        <div id="organizations"></div>
        <p id="organizations-hidden" class="muted" hidden></p>
      </section>
    </main>

    <script type="application/json" id="dashboard-config">${parts.config}</script>
    <script nonce="${parts.nonce}">
${parts.script}
    </script>
  </body>
</html>
`;
}
