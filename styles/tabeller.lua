-- Embedded coopstats tables in PDF and Word (HTML is left as it is). Runs before Quarto's own
-- filters (`at: pre-ast`, reports/_metadata.yml), while an embedded table is still the raw
-- HTML its notebook cell wrote (coopstats.tables.Table._repr_html_).
--
-- 1. Notes. The lines under a table (population, source, threshold, «..» explained: the
--    `<p class="coopstats-table-notes">` after the table) would be dropped, because Quarto
--    turns only the `<table>` of raw HTML into a table for PDF and Word. They are parsed here
--    and set right after the table: paragraph style «Tabellnote» in Word, a small font in PDF.
-- 2. Wide tables. A table whose words do not fit across a portrait page carries the class
--    `coopstats-wide` (its column widths are measured against a landscape line). Its cell and
--    notes are wrapped in a `.landscape` div, which Quarto sets on landscape pages (pdflscape
--    in PDF, a landscape section in Word). A page cannot turn inside a callout box, so a wide
--    table in a callout is set right after the callout.
local NOTES = '<p class="coopstats%-table%-notes">'

local function for_print()
  return quarto.doc.is_format("latex") or quarto.doc.is_format("docx")
end

-- Whether the raw HTML in `block` (a notebook cell's output) matches the Lua pattern.
local function html_has(block, pattern)
  local found = false
  block:walk({
    RawBlock = function(raw)
      if raw.format == "html" and raw.text:find(pattern) then
        found = true
      end
    end,
  })
  return found
end

local function has_table(block)
  return html_has(block, "<table")
end

local function has_wide_table(block)
  return html_has(block, "coopstats%-wide")
end

-- Cut the notes paragraph off the cell's raw HTML; return it as Pandoc blocks (or nil).
local function take_notes(cell)
  local notes = nil
  cell = cell:walk({
    RawBlock = function(raw)
      if raw.format ~= "html" then
        return nil
      end
      local at = raw.text:find(NOTES)
      if at == nil then
        return nil
      end
      local html = raw.text:sub(at)
      notes = pandoc.read(html, "html").blocks
      raw.text = raw.text:sub(1, at - 1)
      return raw
    end,
  })
  return cell, notes
end

local function notes_block(notes)
  if quarto.doc.is_format("latex") then
    -- in the table's group, so in its smaller font
    local out = pandoc.Blocks(notes)
    out:insert(pandoc.RawBlock("latex", "\\par"))
    return pandoc.Div(out, pandoc.Attr("", { "coopstats-table-notes" }))
  end
  return pandoc.Div(notes, pandoc.Attr("", { "coopstats-table-notes" }, { ["custom-style"] = "Tabellnote" }))
end

local function holds_landscape(block)
  if block.t ~= "Div" then
    return false
  end
  local found = block.classes:includes("landscape")
  if not found then
    block:walk({
      Div = function(div)
        if div.classes:includes("landscape") then
          found = true
        end
      end,
    })
  end
  return found
end

local function is_callout(div)
  for _, class in ipairs(div.classes) do
    if class:match("^callout") then
      return true
    end
  end
  return false
end

-- An embedded cell (its outermost div) holding a coopstats table: notes after it, and the
-- two on landscape pages when the table is wide.
local function embedded_table(div)
  local cell, notes = take_notes(div)
  local blocks = pandoc.Blocks({ cell })
  if notes ~= nil and #notes > 0 then
    blocks:insert(notes_block(notes))
  end
  if quarto.doc.is_format("latex") and has_table(cell) then
    -- the table in a smaller font, set before the longtable starts: changing the size inside
    -- the environment (\AtBeginEnvironment) breaks longtable's page breaking
    blocks:insert(1, pandoc.RawBlock("latex", "\\begingroup\\footnotesize"))
    blocks:insert(pandoc.RawBlock("latex", "\\endgroup"))
  end
  if has_wide_table(cell) then
    return pandoc.Blocks({ pandoc.Div(blocks, pandoc.Attr("", { "landscape" })) })
  end
  return blocks
end

local function from_callout(callout)
  local kept, moved = pandoc.Blocks({}), pandoc.Blocks({})
  for _, block in ipairs(callout.content) do
    if holds_landscape(block) then
      moved:insert(block)
    else
      kept:insert(block)
    end
  end
  if #moved == 0 then
    return nil
  end
  callout.content = kept
  local out = pandoc.Blocks({ callout })
  out:extend(moved)
  return out
end

return {
  {
    Div = function(div)
      if for_print() and div.classes:includes("quarto-embed-nb-cell") then
        return embedded_table(div)
      end
      return nil
    end,
  },
  {
    Div = function(div)
      if for_print() and is_callout(div) then
        return from_callout(div)
      end
      return nil
    end,
  },
}
