"""Analyses shared by rules: control flow, data flow, memory origin, finalizers.

Each module is owned by the rules that need it; rules reach shared results through
``RuleContext.shared`` so a package is analysed once however many rules ask.
"""
