from .conftest import NOTEBOOKS_DIR


def test_direct(jupyter_server):
    name = jupyter_server.copy_notebook(NOTEBOOKS_DIR / "harness_smoke.ipynb")
    page = jupyter_server.open_notebook(name, app="notebook")
    jupyter_server.run_all_cells(page)
    assert len(jupyter_server.api("GET", "/api/kernels")) == 1


def test_after(jupyter_server):
    assert jupyter_server.api("GET", "/api/kernels") == []
    assert jupyter_server.open_pages() == []


def test_fails(notebook_page):
    page = notebook_page("harness_smoke.ipynb")
    assert page.locator(".nope").count() == 1
