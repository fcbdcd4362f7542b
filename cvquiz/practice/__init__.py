"""`cvquiz practice`: the loop (session.py, no I/O), FSRS scheduling (schedule.py), the
SQLite store (store.py), building items from banks (items.py) and the terminal (screen.py).

Practice never imports torch.
"""
