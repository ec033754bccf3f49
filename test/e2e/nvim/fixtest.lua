-- Neovim (0.7, headless) on a failing test: start the Treasure server with vim.lsp.start_client (the
-- workspace trusted, as a user's config says with init_options.trusted), put the cursor in the test
-- $TREASURE_TEST of $TREASURE_FILE, ask for the code actions there, resolve "Fix the code <test>
-- exercises with Treasure", apply its workspace edit (on another file: the code under test) and write
-- every buffer. The outcome, the server's messages and Neovim's screen go to $TREASURE_RESULT as JSON.
local result = { ok = false, log = {}, screens = {}, messages = {} }
local function say(msg) table.insert(result.log, msg) end

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
  local test = os.getenv('TREASURE_TEST')
  local timeout = tonumber(os.getenv('TREASURE_TIMEOUT_MS'))

  vim.cmd('edit ' .. vim.fn.fnameescape(file))
  local bufnr = vim.api.nvim_get_current_buf()
  vim.bo[bufnr].filetype = 'python'
  local line
  for i, l in ipairs(vim.api.nvim_buf_get_lines(bufnr, 0, -1, false)) do
    if l:find('def ' .. test .. '(', 1, true) then line = i end
  end
  if not line then return finish(false, 'no test ' .. test .. ' in ' .. file) end
  vim.api.nvim_win_set_cursor(0, { line + 1, 4 })

  local handlers = {
    -- the server's messages (the proof, or why there is none) are kept for the checks
    ['window/showMessage'] = function(_, params)
      table.insert(result.messages, params.message)
      say('message: ' .. params.message)
    end,
  }
  local client_id = vim.lsp.start_client({
    name = 'treasure',
    cmd = cmd,
    root_dir = vim.fn.fnamemodify(file, ':h'),
    init_options = { trusted = true },
    handlers = handlers,
    on_exit = function(code, signal) say(('server exited: code %s signal %s'):format(code, signal)) end,
  })
  if not client_id then return finish(false, 'vim.lsp.start_client failed') end
  vim.lsp.buf_attach_client(bufnr, client_id)
  local client = vim.lsp.get_client_by_id(client_id)
  if not vim.wait(timeout, function() return client.initialized end, 100) then return finish(false, 'the server did not initialize') end
  say('started ' .. table.concat(cmd, ' '))

  local params = {
    textDocument = { uri = vim.uri_from_bufnr(bufnr) },
    range = { start = { line = line, character = 4 }, ['end'] = { line = line, character = 4 } },
    context = { diagnostics = {} },
  }
  local resp, err = client.request_sync('textDocument/codeAction', params, timeout, bufnr)
  if not resp or resp.err then return finish(false, 'codeAction failed: ' .. vim.inspect(err or resp.err)) end
  local action
  for _, a in ipairs(resp.result or {}) do
    say(('code action: %s [%s]'):format(a.title, a.kind or ''))
    if a.kind == 'quickfix.treasure.test' then action = a end
  end
  if not action then return finish(false, 'no fix-test action') end
  result.title = action.title
  screen('actions')

  local t0 = vim.loop.hrtime()
  local r, rerr = client.request_sync('codeAction/resolve', action, timeout, bufnr)
  if not r or r.err or not r.result then return finish(false, 'codeAction/resolve failed: ' .. vim.inspect(rerr or (r and r.err))) end
  action = r.result
  say(('resolved in %d ms: %s'):format((vim.loop.hrtime() - t0) / 1e6, action.title))
  if not action.edit then return finish(false, 'the resolved action has no edit: ' .. table.concat(result.messages, ' | ')) end
  vim.lsp.util.apply_workspace_edit(action.edit, client.offset_encoding or 'utf-16')
  vim.cmd('wall')
  say('applied and written (:wall)')
  screen('applied')
  finish(true)
end

local ok, err = pcall(main)
if not ok then finish(false, 'lua error: ' .. tostring(err)) end
