-- Neovim (0.7, headless) as a second LSP client of the Treasure language server: start it with
-- vim.lsp.start_client, wait for its diagnostics, ask for the code actions on a line, resolve the
-- Treasure one, apply its edit and write the file, then wait for the diagnostics to clear. The outcome
-- (with Neovim's screen as text, before and after) goes to $TREASURE_RESULT as JSON.
-- Env: TREASURE_LSP_CMD (JSON array), TREASURE_FILE, TREASURE_TIMEOUT_MS, TREASURE_SETTLE_MS (diagnostics after the
-- fix), TREASURE_RESULT. The line: the first diagnostic's.
local result = { ok = false, log = {}, screens = {} }
local function say(msg) table.insert(result.log, msg) end

-- What Neovim shows (its screen grid, kept in headless mode too): the text of every cell, row by row.
local function screen(label)
  vim.cmd('redraw!')
  local rows = {}
  for r = 1, vim.o.lines do
    local cells = {}
    for c = 1, vim.o.columns do cells[#cells + 1] = vim.fn.screenstring(r, c) end
    rows[#rows + 1] = table.concat(cells)
  end
  table.insert(result.screens, { label = label, text = table.concat(rows, '\n') })
end

local function finish(ok, err)
  if not ok then pcall(screen, 'failure') end
  result.ok = ok
  result.error = err
  local f = io.open(os.getenv('TREASURE_RESULT'), 'w')
  f:write(vim.fn.json_encode(result))
  f:close()
  vim.cmd('qall!')
end

local function main()
  local cmd = vim.fn.json_decode(os.getenv('TREASURE_LSP_CMD'))
  local file = os.getenv('TREASURE_FILE')
  local timeout = tonumber(os.getenv('TREASURE_TIMEOUT_MS'))

  vim.cmd('edit ' .. vim.fn.fnameescape(file))
  local bufnr = vim.api.nvim_get_current_buf()
  vim.bo[bufnr].filetype = 'python'

  local client_id = vim.lsp.start_client({
    name = 'treasure',
    cmd = cmd,
    root_dir = vim.fn.fnamemodify(file, ':h'),
    -- Neovim 0.7 does not advertise workspace/configuration: the server takes its settings from
    -- initializationOptions (the same object the VS Code client sends). Without `trusted = true` in
    -- them the workspace is untrusted: the model and device come from these options only.
    init_options = { settings = { syntaxDiagnostics = true } },
    settings = { treasure = { syntaxDiagnostics = true } },
    on_exit = function(code, signal) say(('server exited: code %s signal %s'):format(code, signal)) end,
  })
  if not client_id then return finish(false, 'vim.lsp.start_client failed') end
  vim.lsp.buf_attach_client(bufnr, client_id)
  local client = vim.lsp.get_client_by_id(client_id)
  say('started ' .. table.concat(cmd, ' '))

  if not vim.wait(timeout, function() return #vim.diagnostic.get(bufnr) > 0 end, 100) then
    return finish(false, 'no diagnostics from the server')
  end
  screen('diagnostics')
  local line
  for _, d in ipairs(vim.diagnostic.get(bufnr)) do
    say(('diagnostic line %d: %s'):format(d.lnum + 1, d.message))
    if not line or d.lnum < line then line = d.lnum end
  end

  local diagnostics = vim.lsp.diagnostic.get_line_diagnostics(bufnr, line, nil, client_id)
  local params = {
    textDocument = { uri = vim.uri_from_bufnr(bufnr) },
    range = { start = { line = line, character = 0 }, ['end'] = { line = line, character = 0 } },
    context = { diagnostics = diagnostics },
  }
  local resp, err = client.request_sync('textDocument/codeAction', params, timeout, bufnr)
  if not resp or resp.err then return finish(false, 'codeAction failed: ' .. vim.inspect(err or resp.err)) end
  -- The quick fix for the problem (kind quickfix.treasure) before the whole-function rewrite.
  local action
  for _, a in ipairs(resp.result or {}) do
    say(('code action: %s [%s]'):format(a.title, a.kind or ''))
    if a.title:find('Treasure') and (not action or (a.kind == 'quickfix.treasure' and action.kind ~= 'quickfix.treasure')) then action = a end
  end
  if not action then return finish(false, 'no Treasure code action') end
  result.title = action.title

  if not action.edit then
    local r, rerr = client.request_sync('codeAction/resolve', action, timeout, bufnr)
    if not r or r.err or not r.result then return finish(false, 'codeAction/resolve failed: ' .. vim.inspect(rerr or (r and r.err))) end
    action = r.result
  end
  if not action.edit then return finish(false, 'the resolved action has no edit') end
  vim.lsp.util.apply_workspace_edit(action.edit, client.offset_encoding or 'utf-16')
  vim.api.nvim_buf_call(bufnr, function() vim.cmd('write') end)
  say('applied and written')
  -- The server checks the changed document again: its syntax diagnostics go away when the fix is right.
  local settle = tonumber(os.getenv('TREASURE_SETTLE_MS'))
  local cleared = vim.wait(settle, function() return #vim.diagnostic.get(bufnr) == 0 end, 100)
  result.diagnostics_after = #vim.diagnostic.get(bufnr)
  for _, d in ipairs(vim.diagnostic.get(bufnr)) do say(('diagnostic after the fix, line %d: %s'):format(d.lnum + 1, d.message)) end
  if cleared then say('no diagnostics after the fix') end
  screen('applied')
  finish(true)
end

local ok, err = pcall(main)
if not ok then finish(false, 'lua error: ' .. tostring(err)) end
