"""The gallery build pipeline, free of MkDocs imports.

Data flows one way: notebook files → discover → check → export → runtime → pages → site/.
`pipeline.build_gallery` runs the stages; each stage is a module with plain inputs and outputs.
"""
