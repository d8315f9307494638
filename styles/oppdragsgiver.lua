-- Shows the report's commissioning body (metadata `oppdragsgiver`, reports/_metadata.yml):
-- on the PDF title page (KOMA-Script's \publishers, printed by \maketitle), and as the first
-- paragraph of the body in Word (paragraph style «Oppdragsgiver») and HTML (class
-- `oppdragsgiver`). Nothing happens when the metadata is missing.
local PREFIX = "På oppdrag for "

function Pandoc(doc)
  local body = doc.meta.oppdragsgiver
  if body == nil then
    return nil
  end
  local text = pandoc.utils.stringify(body)
  if text == "" then
    return nil
  end
  if quarto.doc.is_format("latex") then
    local escaped = text:gsub("([%%&#_{}$])", "\\%1")
    quarto.doc.include_text("in-header", "\\publishers{" .. PREFIX .. escaped .. "}")
    return nil
  end
  local para = pandoc.Para(pandoc.Inlines(PREFIX .. text))
  if quarto.doc.is_format("docx") then
    doc.blocks:insert(1, pandoc.Div(para, pandoc.Attr("", {}, { ["custom-style"] = "Oppdragsgiver" })))
  elseif quarto.doc.is_format("html") then
    doc.blocks:insert(1, pandoc.Div(para, pandoc.Attr("", { "oppdragsgiver" })))
  end
  return doc
end
