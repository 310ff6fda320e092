// The taskboard page: log in, list, add, edit, finish and delete tasks, list and
// create projects — all through the JSON API, with its errors shown next to the field.
"use strict";

const csrfMeta = document.querySelector('meta[name="csrf-token"]');
const csrf = csrfMeta ? csrfMeta.content : "";

async function api(url, options = {}) {
  const headers = {"Content-Type": "application/json", "X-CSRFToken": csrf};
  const response = await fetch(url, {...options, headers});
  let body = null;
  if (response.status !== 204) {
    try { body = await response.json(); } catch (error) { body = null; }
  }
  if (response.status === 401 && csrf) window.location.reload();  // session ended
  return {ok: response.ok, status: response.status, body};
}

function clearErrors(form) {
  form.querySelectorAll(".field-error, .form-error").forEach(el => { el.textContent = ""; });
  form.querySelectorAll("[aria-invalid]").forEach(el => el.removeAttribute("aria-invalid"));
}

// The envelope's msg is a sentence, or {field: [messages]}: each message goes next to
// its field; anything else goes to the form's own error line.
function showErrors(form, result) {
  clearErrors(form);
  const msg = result.body && result.body.msg !== undefined
    ? result.body.msg : `The server answered ${result.status}.`;
  const general = form.querySelector(".form-error") || document.getElementById("error");
  if (msg && typeof msg === "object") {
    const rest = [];
    for (const [field, messages] of Object.entries(msg)) {
      const text = [].concat(messages).join(" ");
      const slot = form.querySelector(`.field-error[data-for="${field}"]`);
      if (slot) {
        slot.textContent = text;
        const input = form.querySelector(`[name="${field}"]`);
        if (input) input.setAttribute("aria-invalid", "true");
      } else {
        rest.push(`${field}: ${text}`);
      }
    }
    if (general) general.textContent = rest.join(" ");
  } else if (general) {
    general.textContent = String(msg);
  }
}

function pageError(result) {
  const msg = result.body && result.body.msg !== undefined
    ? result.body.msg : `The server answered ${result.status}.`;
  const line = document.getElementById("error");
  if (line) line.textContent = typeof msg === "string" ? msg : Object.values(msg).flat().join(" ");
}

function el(tag, props = {}, ...children) {
  const node = Object.assign(document.createElement(tag), props);
  node.append(...children);
  return node;
}

// Logging in and out

const login = document.getElementById("login");
if (login) {
  login.addEventListener("submit", async event => {
    event.preventDefault();
    const result = await api("/api/auth/login", {
      method: "POST",
      body: JSON.stringify({email: login.email.value, password: login.password.value}),
    });
    // The server checked "next" (a path on this site) before putting it in the page.
    if (result.ok) window.location.assign(login.dataset.next || "/");
    else showErrors(login, result);
  });
  document.querySelectorAll("button.fill").forEach(button => {
    button.addEventListener("click", () => {
      login.email.value = button.dataset.email;
      login.password.value = button.dataset.password;
      login.password.focus();
    });
  });
}

const logout = document.getElementById("logout");
if (logout) {
  logout.addEventListener("click", async () => {
    await api("/api/auth/logout", {method: "POST"});
    window.location.assign("/");
  });
}

// Tabs: #tasks and #projects

function showTab() {
  const wanted = window.location.hash === "#projects" ? "projects" : "tasks";
  const views = document.querySelectorAll(".view");
  if (!document.querySelector(`.view[data-view="${wanted}"]`)) return;
  views.forEach(view => { view.hidden = view.dataset.view !== wanted; });
  document.querySelectorAll(".tab").forEach(tab => {
    tab.classList.toggle("active", tab.dataset.tab === wanted);
  });
}
window.addEventListener("hashchange", showTab);

// Tasks

const list = document.getElementById("tasks");
const canWrite = list && list.dataset.canWrite === "true";
let projectNames = new Map();

function taskItem(task) {
  const item = el("li", {className: task.done ? "task done" : "task"});
  item.dataset.id = task.id;
  const done = el("input", {type: "checkbox", checked: task.done, disabled: !canWrite,
                            title: task.done ? "Mark as not done" : "Mark as done"});
  done.setAttribute("aria-label", `Done: ${task.title}`);
  const title = el("span", {className: "title", textContent: task.title});
  item.append(done, title);
  if (task.project_id && projectNames.has(task.project_id)) {
    item.append(el("span", {className: "tag", textContent: projectNames.get(task.project_id)}));
  }
  if (!canWrite) return item;
  done.addEventListener("change", async () => {
    const result = await api(`/api/tasks/${task.id}`, {
      method: "PATCH", body: JSON.stringify({done: done.checked}),
    });
    if (!result.ok) { done.checked = !done.checked; pageError(result); return; }
    loadTasks();
  });
  const edit = el("button", {type: "button", className: "link", textContent: "Edit"});
  const remove = el("button", {type: "button", className: "link danger", textContent: "Delete"});
  edit.dataset.action = "edit";
  remove.dataset.action = "delete";
  edit.addEventListener("click", () => item.replaceWith(editForm(task)));
  remove.addEventListener("click", async () => {
    const result = await api(`/api/tasks/${task.id}`, {method: "DELETE"});
    if (!result.ok) { pageError(result); return; }
    loadTasks();
  });
  item.append(el("span", {className: "actions"}, edit, remove));
  return item;
}

function editForm(task) {
  const form = el("form", {className: "task editing"});
  form.noValidate = true;
  const input = el("input", {name: "title", value: task.title, maxLength: 200});
  input.setAttribute("aria-label", "Title");
  const save = el("button", {type: "submit", className: "primary", textContent: "Save"});
  const cancel = el("button", {type: "button", className: "link", textContent: "Cancel"});
  const error = el("span", {className: "field-error"});
  error.dataset.for = "title";
  form.append(el("label", {className: "grow"}, input, error), save, cancel,
              el("p", {className: "form-error", role: "alert"}));
  cancel.addEventListener("click", () => loadTasks());
  form.addEventListener("submit", async event => {
    event.preventDefault();
    const result = await api(`/api/tasks/${task.id}`, {
      method: "PATCH", body: JSON.stringify({title: input.value}),
    });
    if (result.ok) loadTasks();
    else showErrors(form, result);
  });
  setTimeout(() => input.focus(), 0);
  return el("li", {}, form);
}

async function loadTasks() {
  if (!list) return;
  const result = await api("/api/tasks?per_page=100");
  if (!result.ok) { pageError(result); return; }
  const tasks = result.body.items;
  list.replaceChildren(...tasks.map(taskItem));
  document.getElementById("no-tasks").hidden = tasks.length > 0;
}

const newTask = document.getElementById("new-task");
if (newTask) {
  newTask.addEventListener("submit", async event => {
    event.preventDefault();
    const data = {title: newTask.title.value};
    if (newTask.project_id && newTask.project_id.value) {
      data.project_id = Number(newTask.project_id.value);
    }
    const result = await api("/api/tasks", {method: "POST", body: JSON.stringify(data)});
    if (!result.ok) { showErrors(newTask, result); return; }
    clearErrors(newTask);
    newTask.reset();
    loadTasks();
    loadProjects();
  });
}

// Projects

const projects = document.getElementById("projects");

async function loadProjects() {
  if (!projects) return;
  const result = await api("/api/projects?per_page=100");
  if (!result.ok) { pageError(result); return; }
  const items = result.body.items;
  projectNames = new Map(items.map(p => [p.id, p.name]));
  projects.replaceChildren(...items.map(project => {
    const open = project.tasks.filter(task => !task.done).length;
    return el("article", {className: "card project"},
      el("h2", {textContent: project.name}),
      el("p", {className: "muted small",
               textContent: `${project.tasks.length} tasks, ${open} open`}),
      el("ul", {}, ...project.tasks.map(task => el("li", {
        className: task.done ? "done" : "", textContent: task.title}))));
  }));
  document.getElementById("no-projects").hidden = items.length > 0;
  const select = newTask && newTask.project_id;
  if (select) {
    const chosen = select.value;
    select.replaceChildren(el("option", {value: "", textContent: "none"}),
      ...items.map(p => el("option", {value: p.id, textContent: p.name})));
    select.value = chosen;
  }
}

const newProject = document.getElementById("new-project");
if (newProject) {
  newProject.addEventListener("submit", async event => {
    event.preventDefault();
    const result = await api("/api/projects", {
      method: "POST", body: JSON.stringify({name: newProject.name.value}),
    });
    if (!result.ok) { showErrors(newProject, result); return; }
    clearErrors(newProject);
    newProject.reset();
    loadProjects();
  });
}

showTab();
if (list) loadProjects().then(loadTasks);
