"""Steps on the post-mortem edit page that more than one browser test takes."""

from playwright.sync_api import expect


def add_action_item(page, description: str, *, owner: str, due: str) -> None:
    page.fill("#action-item-add input[name=description]", description)
    page.select_option("#action-item-add select[name=owner]", owner)
    page.fill("#action-item-add input[name=due_date]", due)
    page.click("button[name=add-action-item]")
    expect(page.locator(".pm-items input[name=description]")).to_have_value(description)


def submit_and_publish(page) -> None:
    page.click("button:has-text('Submit for review')")
    expect(page.locator("#pm-status")).to_have_text("In review")
    page.click("button:has-text('Publish')")
    expect(page.locator("#pm-status")).to_have_text("Published")
