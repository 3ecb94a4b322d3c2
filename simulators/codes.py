"""National code tables the court and prison stand-ins write as text: sex (GB/T 2261.1) and
ethnicity (GB/T 3304), for the codes the synthetic data set gives its residents.

The police stand-in keeps a table of its own: its legacy system lacks some of these codes
and records those residents as 其他 (57).
"""

from __future__ import annotations

SEX_NAMES = {"1": "男", "2": "女"}
ETHNICITY_NAMES = {
    "01": "汉族",
    "03": "回族",
    "04": "藏族",
    "06": "苗族",
    "07": "彝族",
    "20": "傈僳族",
    "27": "纳西族",
}
