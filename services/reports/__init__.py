"""Reports and exports: totals, the chart, CSV/XLSX files, and the service."""
