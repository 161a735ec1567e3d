/**
 * Debian's JupyterHub on 127.0.0.1 for the isolation tests: a simple local process spawner (no
 * system users), the dummy authenticator, users alice and bob, and an admin service whose token
 * starts the users' servers and issues their API tokens through the hub's REST API. The users'
 * servers find our kernelspec in the throwaway Jupyter home (../jupyter/jupyter-env.ts).
 */
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as delay } from "node:timers/promises";
import { jupyterEnvironment, type JupyterEnv } from "../jupyter/jupyter-env";
import { freePorts } from "../jupyter/zeromq-client";
import { stopProcess, waitForServer } from "./notebook-server";

export const HUB_USERS = ["alice", "bob"] as const;
export type HubUser = typeof HUB_USERS[number];

export interface Hub {
  jupyter: JupyterEnv;
  url: string;
  /** Each user's own server and an API token of theirs. */
  users: Record<HubUser, { serverUrl: string; token: string }>;
  cleanup(): Promise<void>;
}

export async function startJupyterHub(): Promise<Hub> {
  const jupyter = await jupyterEnvironment();
  const folder = join(jupyter.home, "hub");
  mkdirSync(folder);
  const [port, hubPort, proxyApiPort] = await freePorts(3);
  const adminToken = randomBytes(24).toString("hex");
  const python = (value: unknown) => JSON.stringify(value);
  writeFileSync(join(folder, "jupyterhub_config.py"), [
    `c.JupyterHub.bind_url = ${python(`http://127.0.0.1:${port}/`)}`,
    `c.JupyterHub.hub_bind_url = ${python(`http://127.0.0.1:${hubPort}/`)}`,
    `c.ConfigurableHTTPProxy.api_url = ${python(`http://127.0.0.1:${proxyApiPort}`)}`,
    `c.ConfigurableHTTPProxy.pid_file = ${python(join(folder, "proxy.pid"))}`,
    `c.JupyterHub.db_url = ${python(`sqlite:///${join(folder, "hub.sqlite")}`)}`,
    `c.JupyterHub.cookie_secret_file = ${python(join(folder, "cookie_secret"))}`,
    `c.JupyterHub.authenticator_class = "jupyterhub.auth.DummyAuthenticator"`,
    `c.Authenticator.allowed_users = set(${python(HUB_USERS)})`,
    `c.JupyterHub.spawner_class = "jupyterhub.spawner.SimpleLocalProcessSpawner"`,
    `c.SimpleLocalProcessSpawner.home_dir_template = ${python(join(folder, "home", "{username}"))}`,
    `c.Spawner.ip = "127.0.0.1"`,
    `c.Spawner.http_timeout = 60`,
    // The single-user servers run as this (root, on the test machines) account.
    `c.Spawner.args = ["--allow-root"]`,
    `c.Spawner.environment = ${python({ JUPYTER_PATH: jupyter.env.JUPYTER_PATH, AGNB_KERNEL: jupyter.env.AGNB_KERNEL, JUPYTERHUB_SINGLEUSER_APP: "notebook.notebookapp.NotebookApp" })}`,
    `c.JupyterHub.services = [{"name": "test-admin", "api_token": ${python(adminToken)}}]`,
    `c.JupyterHub.load_roles = [{"name": "test-admin", "scopes": ["admin:users", "admin:servers", "tokens", "list:users", "read:users"], "services": ["test-admin"]}]`,
  ].join("\n"));
  let output = "";
  // Debian's configurable-http-proxy finds its modules in /usr/share/nodejs, which only Debian's
  // own Node searches by itself.
  const env = { ...jupyter.env, NODE_PATH: ["/usr/share/nodejs", jupyter.env.NODE_PATH].filter(Boolean).join(":") };
  const hub = spawn("jupyterhub", ["-f", join(folder, "jupyterhub_config.py")], { cwd: folder, env });
  hub.stdout!.on("data", (chunk) => { output += chunk; });
  hub.stderr!.on("data", (chunk) => { output += chunk; });
  const url = `http://127.0.0.1:${port}/`;
  const cleanup = async () => {
    await stopProcess(hub);
    jupyter.cleanup();
  };
  try {
    await waitForServer(`${url}hub/api/`, adminToken, hub, () => output);
    const api = async (path: string, method = "GET", body?: unknown) => {
      const response = await fetch(`${url}hub/api/${path}`, { method, headers: { Authorization: `token ${adminToken}` }, body: body === undefined ? undefined : JSON.stringify(body) });
      if (!response.ok) throw new Error(`hub ${method} ${path}: HTTP ${response.status} ${await response.text()}\n${output}`);
      const text = await response.text();
      return (text ? JSON.parse(text) : {}) as Record<string, any>;
    };
    const users = {} as Hub["users"];
    for (const name of HUB_USERS) {
      await api(`users/${name}`, "POST").catch(async () => api(`users/${name}`));
      await api(`users/${name}/server`, "POST");
      const deadline = Date.now() + 90_000;
      while (!(await api(`users/${name}`)).servers?.[""]?.ready) {
        if (Date.now() > deadline) throw new Error(`${name}'s server did not start:\n${output}`);
        await delay(300);
      }
      const { token } = await api(`users/${name}/tokens`, "POST", { note: "remote kernel test", expires_in: 3600 });
      users[name] = { serverUrl: `${url}user/${name}/`, token };
    }
    return { jupyter, url, users, cleanup };
  } catch (error) {
    await cleanup();
    throw error;
  }
}
