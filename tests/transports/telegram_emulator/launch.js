#!/usr/bin/env node
/*
 * Launcher + compatibility layer for `telegram-test-api` 4.2.1, so that
 * python-telegram-bot (PTB) 22 can talk to it as if it were the Bot API.
 *
 * Usage:
 *   node launch.js [--port N] [--host H] [--exit-on-stdin-close]
 *   (or TELEGRAM_EMULATOR_PORT / TELEGRAM_EMULATOR_HOST; port 0 = pick a free one)
 *
 * Prints exactly one line `READY <port>` on stdout once it listens.
 *
 * Bot API for PTB:   http://HOST:PORT/bot<token>/<method>
 *                    (PTB: base_url="http://HOST:PORT/bot",
 *                          base_file_url="http://HOST:PORT/file/bot")
 * Client API (acting as a user) is the emulator's own: POST /sendMessage,
 * /sendCommand, /sendCallback, /getUpdatesHistory, plus ours: POST /compat/state,
 * /compat/editMessage (a user edits a message) and /compat/failNext (script a
 * Bot API error, e.g. 403 "bot was blocked by the user" or 429 flood control).
 *
 * How it hooks in (no files under node_modules are edited):
 *   - `lib/routes/index.js` exports the array of route registrars that the
 *     TelegramServer constructor walks; we unshift our own registrar, so our
 *     handlers are mounted after the body parsers but BEFORE the emulator's own
 *     routes and therefore win for the same path.
 *   - a few TelegramServer prototype/static methods are wrapped (see PATCH notes).
 * Every patch below says which PTB 22 gap it closes.
 */
'use strict';

const assert = require('assert');
const crypto = require('crypto');
const axios = require('axios');
const sendResultModule = require('telegram-test-api/lib/modules/sendResult');
const routesModule = require('telegram-test-api/lib/routes/index');
const TelegramServer = require('telegram-test-api');

// ---------------------------------------------------------------------------
// command line
// ---------------------------------------------------------------------------
function argValue(name) {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}
const positional = process.argv.slice(2).find((a) => /^\d+$/.test(a));
const PORT = Number(argValue('--port') ?? positional ?? process.env.TELEGRAM_EMULATOR_PORT ?? 0);
const HOST = argValue('--host') ?? process.env.TELEGRAM_EMULATOR_HOST ?? '127.0.0.1';
const EXIT_ON_STDIN_CLOSE = process.argv.includes('--exit-on-stdin-close');
// Messages older than this are dropped by the emulator's clean-up timer (default there: 60 s).
const STORE_TIMEOUT_S = Number(process.env.TELEGRAM_EMULATOR_STORE_TIMEOUT || 3600);

// ---------------------------------------------------------------------------
// state kept by the compat layer (everything keyed by bot token)
// ---------------------------------------------------------------------------
const compat = {
  confirmedOffset: new Map(), // token -> lowest update_id not yet confirmed via getUpdates(offset)
  chatActions: [], // {token, chat_id, action, time}
  callbackAnswers: [], // {token, callback_query_id, text, show_alert, url, cache_time}
  commands: new Map(), // `${token}|${scope}|${lang}` -> BotCommand[]
  files: new Map(), // file_id -> {token, file_id, file_unique_id, file_path, buffer, mime_type, ...}
  webhookDeliveries: [], // {token, update_id, url, status, error, secret_sent, time}
  webhookChains: new Map(), // token -> Promise (deliveries are sequential per bot, like Telegram)
  webhookInFlight: new Map(), // token -> the delivery attempt waiting for an answer
  failures: [], // scripted Bot API errors: {token, method, chat_id, error_code, description, retry_after, times}
  failedCalls: [], // {token, method, chat_id, error_code, time}: calls answered with a scripted error
  fileCounter: 1,
};

const nowSeconds = () => Math.floor(Date.now() / 1000);

function tgError(res, code, description) {
  res.status(code).json({ ok: false, error_code: code, description });
}
function tgOk(res, result) {
  res.json({ ok: true, result });
}
function asBool(v) {
  return v === true || v === 'true' || v === '1' || v === 1;
}
function parseJsonFields(body, fields) {
  const out = { ...body };
  for (const f of fields) {
    if (typeof out[f] === 'string') {
      try {
        out[f] = JSON.parse(out[f]);
      } catch (_e) { /* leave as string */ }
    }
  }
  return out;
}
const JSON_FIELDS = ['reply_markup', 'entities', 'caption_entities', 'commands', 'scope', 'allowed_updates',
  'link_preview_options'];

/* The emulator's getMe is a constant; real Telegram derives the bot id from the
 * token prefix ("123456:ABC..."), which PTB code may rely on. */
function botUser(token) {
  const prefix = String(token).split(':')[0];
  return {
    id: /^\d+$/.test(prefix) ? Number(prefix) : 666,
    is_bot: true,
    first_name: 'Test First name',
    username: 'TestNameBot',
  };
}

/* One place that turns a stored bot message (the emulator keeps the raw request
 * body) into a Bot API `Message` object, for sendMessage/sendPhoto/edits/state. */
function toApiMessage(entry) {
  const m = entry.message;
  const msg = {
    message_id: entry.messageId,
    from: botUser(entry.botToken),
    date: Math.floor(entry.time / 1000),
    chat: { id: Number(m.chat_id), first_name: 'Bot', type: 'private' },
  };
  for (const f of ['text', 'entities', 'caption', 'caption_entities', 'photo', 'document']) {
    if (m[f] !== undefined && m[f] !== null) msg[f] = m[f];
  }
  if (m.reply_markup && typeof m.reply_markup === 'object' && 'inline_keyboard' in m.reply_markup) {
    msg.reply_markup = m.reply_markup;
  }
  // Bot API 7.0: a text message whose link preview options were changed carries them.
  const preview = parseJsonFields(m, ['link_preview_options']).link_preview_options;
  if (preview && typeof preview === 'object') msg.link_preview_options = preview;
  if (entry.editDate) msg.edit_date = entry.editDate;
  return msg;
}

function findBotMessage(server, token, chatId, messageId) {
  return server.storage.botMessages.find((u) => u.botToken === token
    && String(u.messageId) === String(messageId)
    && String(u.message.chat_id) === String(chatId));
}

// ---------------------------------------------------------------------------
// PATCH 1: error responses.
// The emulator answers errors with `{message}` only; PTB reads `description`
// (and `ok`/`error_code`) from error bodies, so errors surfaced as
// "Unknown HTTPError". Keep `message` for the emulator's own clients.
// ---------------------------------------------------------------------------
const originalSendResult = sendResultModule.sendResult;
sendResultModule.sendResult = (req, res, next) => originalSendResult(req, res, () => {
  res.sendError = (error) => {
    const code = error && 'http' in error ? error.http : 500;
    const description = (error && error.message) || 'Message not implemented';
    res.status(code).json({ ok: false, error_code: code, description, message: description });
  };
  next();
});

// ---------------------------------------------------------------------------
// PATCH 2: sendMessage (and every bot message) returned `date` in
// milliseconds (PTB: datetime overflow) and no `from` (PTB: from_user None),
// plus raw request fields. Return a proper Message instead.
// ---------------------------------------------------------------------------
const originalAddBotMessage = TelegramServer.prototype.addBotMessage;
TelegramServer.prototype.addBotMessage = function addBotMessage(rawMessage, botToken) {
  originalAddBotMessage.call(this, rawMessage, botToken);
  return toApiMessage(this.storage.botMessages[this.storage.botMessages.length - 1]);
};

// ---------------------------------------------------------------------------
// PATCH 3: updates as delivered to the bot.
// - callback_query lacked `chat_instance` (required by PTB's CallbackQuery).
// - message updates leaked the client-side `botToken` field.
// ---------------------------------------------------------------------------
const originalFormatUpdate = TelegramServer.formatUpdate;
TelegramServer.formatUpdate = function formatUpdate(update) {
  const out = originalFormatUpdate.call(TelegramServer, update);
  if (out.callback_query) {
    const cq = out.callback_query;
    const chatId = cq.message && cq.message.chat ? cq.message.chat.id : cq.from && cq.from.id;
    cq.chat_instance = String(update.callbackQuery.chat_instance || chatId);
    if (!cq.message) delete cq.message;
    if (cq.data === undefined) delete cq.data;
  }
  if (out.message) delete out.message.botToken;
  // PATCH 17 (see /compat/editMessage): a user's edit is delivered as `edited_message`
  // and keeps the id of the message that was edited.
  if (update.editedMessageId !== undefined && out.message) {
    out.edited_message = { ...out.message, message_id: update.editedMessageId };
    delete out.message;
  }
  return out;
};

// PATCH 4: a callback press only needs to name the bot message
// ({message: {message_id, chat: {id}}}); the real stored bot message (text,
// inline keyboard, date, from) is put into the callback_query, as Telegram does.
const originalAddUserCallback = TelegramServer.prototype.addUserCallback;
TelegramServer.prototype.addUserCallback = function addUserCallback(callbackQuery) {
  const m = callbackQuery.message;
  if (m && m.message_id !== undefined) {
    const chatId = m.chat ? m.chat.id : m.chat_id;
    const entry = findBotMessage(this, callbackQuery.botToken, chatId, m.message_id);
    if (entry) callbackQuery.message = toApiMessage(entry);
  }
  return originalAddUserCallback.call(this, callbackQuery);
};

// ---------------------------------------------------------------------------
// PATCH 5: user updates with a webhook set.
// The original awaited an axios POST inside the un-awaited client route: any
// non-2xx reply made axios throw -> unhandled rejection -> the emulator process
// died. It also never sent X-Telegram-Bot-Api-Secret-Token, and bumped
// update ids only after the await (concurrent deliveries could share ids).
// Now: ids/storage are updated synchronously; webhook delivery is queued
// (sequential per bot), carries the secret header, never throws, and every
// attempt is recorded in compat.webhookDeliveries. A failed delivery (no
// answer, or a status outside 2xx) is tried again after a short wait, as
// Telegram does, and the updates behind it wait for it; the one being sent
// is in compat.webhookInFlight until it has an answer.
// ---------------------------------------------------------------------------
const WEBHOOK_RETRY_MS = Number(process.env.TELEGRAM_EMULATOR_WEBHOOK_RETRY_MS || 250);
const WEBHOOK_TRIES = Number(process.env.TELEGRAM_EMULATOR_WEBHOOK_TRIES || 240);
const sleep = (ms) => new Promise((resolve) => { setTimeout(resolve, ms); });

async function postUpdate(webhook, token, payload) {
  const headers = { 'Content-Type': 'application/json' };
  if (webhook.secret_token) headers['X-Telegram-Bot-Api-Secret-Token'] = String(webhook.secret_token);
  const record = {
    token, update_id: payload.update_id, url: webhook.url, status: null, error: null,
    secret_sent: Boolean(webhook.secret_token), time: Date.now(),
  };
  compat.webhookInFlight.set(token, record);
  try {
    const resp = await axios({
      url: webhook.url,
      method: 'POST',
      data: payload,
      headers,
      timeout: 30000,
      proxy: false, // never route local webhook calls through an env proxy
      validateStatus: () => true, // a 4xx/5xx is a result to record, not an exception
    });
    record.status = resp.status;
  } catch (err) {
    record.error = String((err && err.message) || err);
  }
  compat.webhookInFlight.delete(token);
  compat.webhookDeliveries.push(record);
  return record;
}

function deliverToWebhook(server, webhook, update) {
  const token = update.botToken;
  const payload = TelegramServer.formatUpdate(update);
  const previous = compat.webhookChains.get(token) || Promise.resolve();
  const next = previous.then(async () => {
    for (let attempt = 1; attempt <= WEBHOOK_TRIES; attempt += 1) {
      const hook = server.webhooks[token] || webhook; // a restarted bot sets it again
      const record = await postUpdate(hook, token, payload);
      server.emit('WebhookDelivered', record);
      if (!record.error && record.status >= 200 && record.status <= 299) return;
      process.stderr.write(`webhook delivery failed (attempt ${attempt}): ${JSON.stringify(record)}\n`);
      if (!server.webhooks[token]) return; // the webhook was removed: Telegram keeps it for getUpdates
      await sleep(WEBHOOK_RETRY_MS);
    }
  });
  compat.webhookChains.set(token, next);
}

TelegramServer.prototype.addUserUpdate = async function addUserUpdate(update) {
  assert.ok(update.botToken, 'The message must be of type object and must contain `botToken` field.');
  const webhook = this.webhooks[update.botToken];
  if (webhook) {
    deliverToWebhook(this, webhook, update);
  } else {
    this.storage.userMessages.push(update);
  }
  this.updateId++;
};

// ---------------------------------------------------------------------------
// Our routes (mounted before the emulator's own ones).
// ---------------------------------------------------------------------------
const USER_UPDATE_EVENTS = ['AddedUserMessage', 'AddedUserCommand', 'AddedUserCallbackQuery'];

/* Multipart bodies (PTB uses them whenever a file is uploaded) are not parsed
 * by the emulator at all (express.json/urlencoded only), so sendPhoto got no
 * params. Parse them with Node's built-in WHATWG FormData parser:
 * text parts -> req.body, file parts -> req.files[name] = {buffer, filename, mime_type}. */
async function parseMultipart(req, res, next) {
  const type = req.headers['content-type'] || '';
  if (!type.startsWith('multipart/form-data')) {
    next();
    return;
  }
  try {
    const chunks = [];
    for await (const chunk of req) chunks.push(chunk);
    const form = await new Response(Buffer.concat(chunks), { headers: { 'content-type': type } }).formData();
    req.body = {};
    req.files = {};
    for (const [name, value] of form.entries()) {
      if (typeof value === 'string') {
        req.body[name] = value;
      } else {
        req.files[name] = {
          buffer: Buffer.from(await value.arrayBuffer()),
          filename: value.name,
          mime_type: value.type || 'application/octet-stream',
        };
      }
    }
    next();
  } catch (err) {
    tgError(res, 400, `Bad Request: can't parse multipart body: ${err.message}`);
  }
}

function pngSize(buffer) {
  const sig = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  if (buffer.length >= 24 && buffer.subarray(0, 8).equals(sig)) {
    return { width: buffer.readUInt32BE(16), height: buffer.readUInt32BE(20) };
  }
  return { width: 0, height: 0 };
}

function storeUploadedFile(token, upload, folder) {
  const n = compat.fileCounter++;
  const ext = (upload.filename && upload.filename.includes('.')) ? upload.filename.split('.').pop() : 'bin';
  const record = {
    token,
    file_id: `emu-file-${n}-${crypto.randomBytes(4).toString('hex')}`,
    file_unique_id: `emu-unique-${n}`,
    file_path: `${folder}/file_${n}.${ext}`,
    buffer: upload.buffer,
    mime_type: upload.mime_type,
    filename: upload.filename,
    file_size: upload.buffer.length,
    ...pngSize(upload.buffer),
  };
  compat.files.set(record.file_id, record);
  return record;
}

function pendingUpdates(server, token) {
  const from = compat.confirmedOffset.get(token) || 0;
  return server.storage.userMessages.filter((u) => u.botToken === token && u.updateId >= from);
}

function waitForUserUpdate(server, res, ms) {
  return new Promise((resolve) => {
    let timer = null;
    const done = () => {
      clearTimeout(timer);
      USER_UPDATE_EVENTS.forEach((e) => server.off(e, done));
      res.off('close', done);
      resolve();
    };
    timer = setTimeout(done, ms);
    USER_UPDATE_EVENTS.forEach((e) => server.on(e, done));
    res.on('close', done); // client gave up (e.g. PTB cancelled its polling task)
  });
}

function compatRoutes(app, server) {
  app.use('/bot:token/:method', parseMultipart);

  // PATCH 15: scripted Bot API errors. Real Telegram answers some calls with 403
  // (the user blocked the bot), 429 + parameters.retry_after (flood control),
  // 400 "chat not found" or 5xx; the emulator never does. A test scripts the
  // next N calls of a method (optionally only for one chat_id) to fail exactly
  // as Telegram would; times = -1 fails every call until the bot token changes.
  app.post('/compat/failNext', (req, res) => {
    const b = req.body;
    if (!b.token || !b.method || !b.error_code) {
      tgError(res, 400, 'Bad Request: token, method and error_code are required');
      return;
    }
    compat.failures.push({
      token: b.token,
      method: String(b.method).toLowerCase(),
      chat_id: b.chat_id === undefined || b.chat_id === null ? null : String(b.chat_id),
      error_code: Number(b.error_code),
      description: b.description || `Error ${b.error_code}`,
      retry_after: b.retry_after === undefined || b.retry_after === null ? null : Number(b.retry_after),
      times: b.times === undefined ? 1 : Number(b.times),
    });
    tgOk(res, true);
  });
  app.use('/bot:token/:method', (req, res, next) => {
    const { token } = req.params;
    const method = req.params.method.toLowerCase();
    const params = { ...req.query, ...(req.body || {}) };
    const chatId = params.chat_id === undefined ? null : String(params.chat_id);
    const index = compat.failures.findIndex((f) => f.token === token && f.method === method
      && (f.chat_id === null || f.chat_id === chatId));
    if (index < 0) {
      next();
      return;
    }
    const failure = compat.failures[index];
    if (failure.times > 0) {
      failure.times -= 1;
      if (failure.times === 0) compat.failures.splice(index, 1);
    }
    compat.failedCalls.push({ token, method: req.params.method, chat_id: chatId, error_code: failure.error_code,
      time: Date.now() });
    const body = { ok: false, error_code: failure.error_code, description: failure.description };
    if (failure.retry_after !== null) body.parameters = { retry_after: failure.retry_after };
    res.status(failure.error_code).json(body);
  });

  // PATCH 17: the emulator has no way for a user to edit a message. POST
  // /compat/editMessage {botToken, from, chat, date, edit_date, message_id, text}
  // queues an `edited_message` update (delivered by getUpdates or the webhook).
  app.post('/compat/editMessage', (req, res) => {
    const b = req.body;
    if (!b.botToken || b.message_id === undefined) {
      tgError(res, 400, 'Bad Request: botToken and message_id are required');
      return;
    }
    const { message_id: editedId, ...message } = b;
    server.addUserUpdate({ ...server.getCommonFields(b.botToken), message, editedMessageId: Number(editedId) });
    server.emit('AddedUserMessage');
    tgOk(res, true);
  });

  // PATCH 6: getMe had no `is_bot` (required by PTB's User) and a fixed id.
  app.all('/bot:token/getMe', (req, res) => tgOk(res, {
    ...botUser(req.params.token),
    can_join_groups: true,
    can_read_all_group_messages: false,
    supports_inline_queries: false,
  }));

  // PATCH 7: getUpdates ignored offset/limit/timeout and handed each update out
  // exactly once on first sight (lost if the client failed to process it).
  // Now Bot API semantics: updates stay pending until confirmed by calling with
  // offset = last update_id + 1 (PTB does this on every poll and on shutdown);
  // a negative offset keeps only the last |offset| updates; `timeout` long-polls
  // until a user update arrives; 409 while a webhook is set (like Telegram).
  // `allowed_updates` is accepted but not applied.
  app.all('/bot:token/getUpdates', async (req, res) => {
    const token = req.params.token;
    if (server.webhooks[token]) {
      tgError(res, 409, "Conflict: can't use getUpdates method while webhook is active;"
        + ' use deleteWebhook to delete the webhook first');
      return;
    }
    const p = { ...req.query, ...req.body };
    const offset = Number(p.offset || 0);
    const limit = Math.min(Math.max(Number(p.limit || 100), 1), 100);
    const timeoutS = Math.max(Number(p.timeout || 0), 0);
    if (offset > 0) {
      compat.confirmedOffset.set(token, Math.max(compat.confirmedOffset.get(token) || 0, offset));
    } else if (offset < 0) {
      const pending = pendingUpdates(server, token);
      if (pending.length > -offset) compat.confirmedOffset.set(token, pending[pending.length + offset].updateId);
    }
    if (pendingUpdates(server, token).length === 0 && timeoutS > 0) {
      await waitForUserUpdate(server, res, timeoutS * 1000);
    }
    if (res.writableEnded || res.destroyed) return;
    tgOk(res, pendingUpdates(server, token).slice(0, limit).map((u) => TelegramServer.formatUpdate(u)));
  });

  // PATCH 8: setWebhook answered `result: null` (PTB returns it as-is -> None);
  // an empty url must remove the webhook; drop_pending_updates is honoured.
  app.all('/bot:token/setWebhook', (req, res) => {
    const token = req.params.token;
    const params = parseJsonFields({ ...req.query, ...req.body }, JSON_FIELDS);
    if (asBool(params.drop_pending_updates)) compat.confirmedOffset.set(token, server.updateId);
    if (!params.url) {
      server.deleteWebhook(token);
      tgOk(res, true);
      return;
    }
    server.setWebhook(params, token);
    res.json({ ok: true, result: true, description: 'Webhook was set' });
  });
  app.all('/bot:token/deleteWebhook', (req, res) => {
    const token = req.params.token;
    if (asBool({ ...req.query, ...req.body }.drop_pending_updates)) {
      compat.confirmedOffset.set(token, server.updateId);
    }
    server.deleteWebhook(token);
    res.json({ ok: true, result: true, description: 'Webhook was deleted' });
  });
  // getWebhookInfo did not exist (500); PTB's Updater may call it.
  app.all('/bot:token/getWebhookInfo', (req, res) => {
    const hook = server.webhooks[req.params.token];
    tgOk(res, {
      url: hook ? hook.url : '',
      has_custom_certificate: false,
      pending_update_count: hook ? 0 : pendingUpdates(server, req.params.token).length,
      ...(hook && hook.max_connections ? { max_connections: Number(hook.max_connections) } : {}),
      ...(hook && Array.isArray(hook.allowed_updates) ? { allowed_updates: hook.allowed_updates } : {}),
    });
  });

  // PATCH 9: answerCallbackQuery answered `result: null` -> PTB returned None.
  // Answers are recorded so tests can assert on the toast text.
  app.all('/bot:token/answerCallbackQuery', (req, res) => {
    const b = req.body;
    compat.callbackAnswers.push({
      token: req.params.token,
      callback_query_id: b.callback_query_id,
      text: b.text ?? null,
      show_alert: asBool(b.show_alert),
      url: b.url ?? null,
      cache_time: b.cache_time !== undefined ? Number(b.cache_time) : null,
      time: Date.now(),
    });
    tgOk(res, true);
  });

  // PATCH 10: editMessageText / editMessageReplyMarkup (and editMessageCaption,
  // same code) answered `result: null`; the Bot API returns the edited Message
  // (or true for inline messages). Also applies Telegram's rule that an edit
  // without reply_markup removes the inline keyboard, and 400s unknown messages.
  const editHandler = (field) => (req, res) => {
    const token = req.params.token;
    const b = parseJsonFields(req.body, JSON_FIELDS);
    if (b.inline_message_id) {
      tgOk(res, true);
      return;
    }
    const entry = findBotMessage(server, token, b.chat_id, b.message_id);
    if (!entry) {
      tgError(res, 400, 'Bad Request: message to edit not found');
      return;
    }
    const updated = { ...entry.message };
    if (field === 'text') {
      updated.text = b.text;
      if (b.entities) updated.entities = b.entities; else delete updated.entities;
    } else if (field === 'caption') {
      updated.caption = b.caption;
      if (b.caption_entities) updated.caption_entities = b.caption_entities; else delete updated.caption_entities;
    }
    if (b.reply_markup && typeof b.reply_markup === 'object' && 'inline_keyboard' in b.reply_markup) updated.reply_markup = b.reply_markup;
    else delete updated.reply_markup;
    entry.message = updated;
    entry.editDate = nowSeconds();
    server.emit(field === 'markup' ? 'EditedMessageReplyMarkup' : 'EditedMessageText');
    tgOk(res, toApiMessage(entry));
  };
  app.all('/bot:token/editMessageText', editHandler('text'));
  app.all('/bot:token/editMessageCaption', editHandler('caption'));
  app.all('/bot:token/editMessageReplyMarkup', editHandler('markup'));

  // PATCH 11: deleteMessage answered `result: null` on success -> fall through
  // to the emulator's handler, only turning that null into `true`.
  app.all('/bot:token/deleteMessage', (req, res, next) => {
    const json = res.json.bind(res);
    res.json = (body) => json(body && body.ok && body.result === null ? { ...body, result: true } : body);
    next();
  });

  // PATCH 12: setMyCommands / getMyCommands / deleteMyCommands were unknown (500).
  const commandsKey = (token, b) => `${token}|${JSON.stringify(b.scope || { type: 'default' })}|${b.language_code || ''}`;
  app.all('/bot:token/setMyCommands', (req, res) => {
    const b = parseJsonFields(req.body, JSON_FIELDS);
    if (!Array.isArray(b.commands)) {
      tgError(res, 400, 'Bad Request: parameter "commands" is required');
      return;
    }
    compat.commands.set(commandsKey(req.params.token, b), b.commands);
    tgOk(res, true);
  });
  app.all('/bot:token/getMyCommands', (req, res) => {
    const b = parseJsonFields(req.body, JSON_FIELDS);
    tgOk(res, compat.commands.get(commandsKey(req.params.token, b)) || []);
  });
  app.all('/bot:token/deleteMyCommands', (req, res) => {
    const b = parseJsonFields(req.body, JSON_FIELDS);
    compat.commands.delete(commandsKey(req.params.token, b));
    tgOk(res, true);
  });

  // PATCH 13: sendChatAction was unknown (500). Recorded for assertions.
  app.all('/bot:token/sendChatAction', (req, res) => {
    const b = req.body;
    if (!b.chat_id || !b.action) {
      tgError(res, 400, 'Bad Request: chat_id and action are required');
      return;
    }
    compat.chatActions.push({ token: req.params.token, chat_id: Number(b.chat_id), action: b.action, time: Date.now() });
    tgOk(res, true);
  });

  // PATCH 14: sendPhoto was unknown (500). Accepts a multipart upload (PTB
  // InputFile/bytes), a known file_id or a URL string; the photo is stored as a
  // bot message (visible in /getUpdatesHistory and /compat/state) and the bytes
  // can be fetched back with getFile + GET /file/bot<token>/<file_path>.
  app.all('/bot:token/sendPhoto', (req, res) => {
    const token = req.params.token;
    const b = parseJsonFields(req.body, JSON_FIELDS);
    let file;
    if (req.files && req.files.photo) {
      file = storeUploadedFile(token, req.files.photo, 'photos');
    } else if (typeof b.photo === 'string' && b.photo) {
      file = compat.files.get(b.photo) || {
        file_id: b.photo, file_unique_id: `emu-remote-${compat.fileCounter++}`, width: 0, height: 0, file_size: 0,
      };
    } else {
      tgError(res, 400, 'Bad Request: there is no photo in the request');
      return;
    }
    if (!b.chat_id) {
      tgError(res, 400, 'Bad Request: chat_id is empty');
      return;
    }
    const raw = { ...b };
    raw.photo = [{
      file_id: file.file_id,
      file_unique_id: file.file_unique_id,
      width: file.width,
      height: file.height,
      file_size: file.file_size,
    }];
    tgOk(res, server.addBotMessage(raw, token));
  });

  // PATCH 16: sendDocument was unknown (500). Like sendPhoto: a multipart upload
  // or a known file_id; stored as a bot message with a Bot API `document`.
  app.all('/bot:token/sendDocument', (req, res) => {
    const token = req.params.token;
    const b = parseJsonFields(req.body, JSON_FIELDS);
    let file;
    if (req.files && req.files.document) {
      file = storeUploadedFile(token, req.files.document, 'documents');
    } else if (typeof b.document === 'string' && compat.files.has(b.document)) {
      file = compat.files.get(b.document);
    } else {
      tgError(res, 400, 'Bad Request: there is no document in the request');
      return;
    }
    if (!b.chat_id) {
      tgError(res, 400, 'Bad Request: chat_id is empty');
      return;
    }
    const raw = { ...b };
    raw.document = {
      file_id: file.file_id,
      file_unique_id: file.file_unique_id,
      file_name: file.filename,
      mime_type: file.mime_type,
      file_size: file.file_size,
    };
    tgOk(res, server.addBotMessage(raw, token));
  });

  app.all('/bot:token/getFile', (req, res) => {
    const file = compat.files.get(req.body.file_id || req.query.file_id);
    if (!file) {
      tgError(res, 400, 'Bad Request: invalid file_id');
      return;
    }
    tgOk(res, {
      file_id: file.file_id, file_unique_id: file.file_unique_id, file_size: file.file_size, file_path: file.file_path,
    });
  });
  app.get('/file/bot:token/*', (req, res) => {
    const file = [...compat.files.values()].find((f) => f.token === req.params.token && f.file_path === req.params[0]);
    if (!file || !file.buffer) {
      res.status(404).json({ ok: false, error_code: 404, description: 'Not Found' });
      return;
    }
    res.type(file.mime_type).send(file.buffer);
  });

  // Client-side inspection of what the compat layer recorded, per bot token.
  app.post('/compat/state', (req, res) => {
    const { token } = req.body;
    const byToken = (r) => r.token === token;
    const hook = server.webhooks[token];
    res.json({
      ok: true,
      result: {
        bot: botUser(token),
        botMessages: server.storage.botMessages.filter((e) => e.botToken === token).map(toApiMessage),
        pendingUpdates: pendingUpdates(server, token).map((u) => TelegramServer.formatUpdate(u)),
        chatActions: compat.chatActions.filter(byToken),
        callbackAnswers: compat.callbackAnswers.filter(byToken),
        webhookDeliveries: compat.webhookDeliveries.filter(byToken),
        webhookInFlight: compat.webhookInFlight.get(token) || null,
        webhook: hook ? { url: hook.url, has_secret_token: Boolean(hook.secret_token) } : null,
        webhookMaxConnections: hook && hook.max_connections !== undefined ? Number(hook.max_connections) : null,
        commands: [...compat.commands.entries()]
          .filter(([k]) => k.startsWith(`${token}|`))
          .map(([k, v]) => ({ scope: JSON.parse(k.split('|')[1]), language_code: k.split('|')[2], commands: v })),
        files: [...compat.files.values()].filter(byToken).map(({ buffer, ...meta }) => meta),
        failures: compat.failures.filter(byToken),
        failedCalls: compat.failedCalls.filter(byToken),
      },
    });
  });
}

routesModule.routes.unshift(compatRoutes);

// Last-resort guard: the client routes call async server methods without
// awaiting them, so any future rejection would otherwise kill the process
// mid-test-suite. Log loudly instead.
process.on('unhandledRejection', (reason) => {
  process.stderr.write(`telegram emulator: unhandled rejection: ${(reason && reason.stack) || reason}\n`);
});

// ---------------------------------------------------------------------------
// start
// ---------------------------------------------------------------------------
async function main() {
  const server = new TelegramServer({ host: HOST, port: PORT || 9000, storeTimeout: STORE_TIMEOUT_S });
  server.config.port = PORT; // normalizeConfig turns 0 into 9000; we want 0 = any free port
  await server.start();
  const { port } = server.server.address();
  process.stdout.write(`READY ${port}\n`);

  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    const force = setTimeout(() => process.exit(0), 2000);
    force.unref();
    try {
      await server.stop();
    } finally {
      process.exit(0);
    }
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  if (EXIT_ON_STDIN_CLOSE) {
    // The Python helper keeps our stdin open; if it dies, we see EOF and exit
    // instead of lingering as an orphan.
    process.stdin.on('end', stop);
    process.stdin.on('close', stop);
    process.stdin.resume();
  }
}

main().catch((err) => {
  process.stderr.write(`telegram emulator failed to start: ${(err && err.stack) || err}\n`);
  process.exit(1);
});
