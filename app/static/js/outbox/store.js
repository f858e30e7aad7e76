// The outbox's copy on this device: the IndexedDB database "ips-fidelity" and its stores
//   outbox  the entries (the changes still to send), ordered by an increasing `seq`
//   aside   entries that could not be read or sent, kept for the file and reported
//   known   each item's last value the server acknowledged (key: user|review|mode|item),
//           so that a kept copy of a page, older than that, shows it
// Storage only: it never touches the page, never sends anything, and decides nothing about
// the entries (outbox-core.js's rules do, through the plans the callers hand to update).

const DB_NAME = "ips-fidelity";
const DB_VERSION = 1;

let database = null;

function open() {
  if (!database) {
    database = new Promise((resolve, reject) => {
      const request = indexedDB.open(DB_NAME, DB_VERSION);
      request.onupgradeneeded = () => {
        const db = request.result;
        const outbox = db.createObjectStore("outbox", { keyPath: "seq", autoIncrement: true });
        outbox.createIndex("client_id", "client_id", { unique: false });
        db.createObjectStore("aside", { autoIncrement: true });
        db.createObjectStore("known", { keyPath: "key" });
      };
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
      request.onblocked = () => reject(new Error("IndexedDB is blocked by another tab"));
    });
  }
  return database;
}

function whenDone(tx, resolve, reject, result) {
  tx.oncomplete = () => resolve(result());
  tx.onerror = () => reject(tx.error);
  tx.onabort = () => reject(tx.error || new Error("transaction aborted"));
}

// One transaction over `stores`; `work` gets the stores and returns a request or value.
async function transact(stores, mode, work) {
  const db = await open();
  return new Promise((resolve, reject) => {
    const tx = db.transaction(stores, mode);
    const handles = stores.map((name) => tx.objectStore(name));
    let result;
    const value = work(...handles);
    if (value instanceof IDBRequest) value.onsuccess = () => (result = value.result);
    else result = value;
    whenDone(tx, resolve, reject, () => result);
  });
}

export const readAll = (store) => transact([store], "readonly", (s) => s.getAll());
export const readOne = (store, key) => transact([store], "readonly", (s) => s.get(key));

// Read the queue and change it in one transaction, so that a change recorded while an
// answer is being settled (in this tab or another) is never missed: IndexedDB runs
// read-write transactions over the same stores one after the other. `plan` gets the
// entries (and the `known` record named by `knownAt`, if any) and returns the seqs to
// delete and the entries, set-asides and known values to write.
export async function update(plan, knownAt) {
  const db = await open();
  return new Promise((resolve, reject) => {
    const tx = db.transaction(["outbox", "aside", "known"], "readwrite");
    const outbox = tx.objectStore("outbox");
    // Requests in a transaction are answered in the order they were made.
    const saved = knownAt ? tx.objectStore("known").get(knownAt) : null;
    const request = outbox.getAll();
    request.onsuccess = () => {
      const { remove = [], put = [], aside = [], known = [] } = plan(
        request.result,
        saved ? saved.result : undefined,
      );
      for (const seq of remove) outbox.delete(seq);
      for (const entry of put) outbox.put(entry);
      for (const item of aside) tx.objectStore("aside").add(item);
      for (const item of known) tx.objectStore("known").put(item);
    };
    whenDone(tx, resolve, reject, () => undefined);
  });
}

export function knownKey(user, reviewId, mode, itemKey) {
  return `${user}|${reviewId}|${mode}|${itemKey}`;
}

// What the "aside" store keeps of an entry that cannot be sent, and why.
export function asideOf(entry, problem) {
  return { entry, problem, set_aside_at: new Date().toISOString() };
}

// The set-aside entries of `user`, or of no one (too damaged to say whose).
export async function readOwnAside(user) {
  const own = (item) => {
    const entry = item && item.entry;
    if (!entry || typeof entry !== "object" || typeof entry.user !== "string") return true;
    return entry.user === user;
  };
  return (await readAll("aside")).filter(own);
}

export function dropKnown(keys) {
  return transact(["known"], "readwrite", (store) => keys.forEach((key) => store.delete(key)));
}

// Every acknowledged value kept for `user` (who is signing out).
export function forgetKnown(user) {
  return transact(["known"], "readwrite", (known) => {
    const mine = IDBKeyRange.bound(`${user}|`, `${user}|\uffff`);
    return known.delete(mine);
  });
}
