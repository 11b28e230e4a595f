"""Scheduling (DESIGN "Scheduling"): the planning check every path runs, the warnings kept on
plannings, and technicians' availability."""
